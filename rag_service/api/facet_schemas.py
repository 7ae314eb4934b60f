"""The response of the facets endpoint: what the chat page offers as filters before asking."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rag_service.services.facets import Facets


class FacetValue(BaseModel):
    """One filter value and how many documents carry it."""

    value: str
    count: int


class YearRange(BaseModel):
    """The publication years covered; null when no document has a year."""

    min: int | None
    max: int | None


class FacetsOut(BaseModel):
    """Filter values of the current documents (complete and not superseded by a newer edition)."""

    documents: int = Field(description="Documents counted.")
    doc_types: list[FacetValue] = Field(description="Document types, most documents first.")
    organisations: list[FacetValue] = Field(description="Issuing organisations, most documents first.")
    years: YearRange

    @classmethod
    def from_facets(cls, f: Facets) -> FacetsOut:
        """Convert the service's facets."""
        return cls(
            documents=f.documents,
            doc_types=[FacetValue(value=v, count=n) for v, n in f.doc_types],
            organisations=[FacetValue(value=v, count=n) for v, n in f.organisations],
            years=YearRange(min=f.year_min, max=f.year_max),
        )
