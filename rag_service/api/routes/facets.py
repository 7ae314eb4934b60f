"""The filter values of what is indexed, so a client offers only filters that can match."""

from __future__ import annotations

from fastapi import APIRouter

from rag_service.api.deps import DocumentsDep
from rag_service.api.facet_schemas import FacetsOut
from rag_service.api.schemas import ErrorEnvelope

router = APIRouter(prefix="/v1", tags=["documents"])
_ERRORS: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
}


@router.get("/facets", response_model=FacetsOut, responses=_ERRORS)
def facets(documents: DocumentsDep) -> FacetsOut:
    """Document types, organisations and the year range of the current documents, with document counts.

    Current means completely ingested and not superseded by a newer edition of its guideline series: the
    documents a search without filters sees. The values feed the ``filters`` of ``/v1/search`` and ``/v1/ask``.
    """
    return FacetsOut.from_facets(documents.facets())
