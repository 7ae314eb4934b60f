"""Request and response bodies of the HTTP API: our own models, never a framework's types."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rag_service.domain.documents import DocType, MetaValue
from rag_service.domain.protocols import DocumentRecord


class ErrorBody(BaseModel):
    """What went wrong, in words safe to show; ``request_id`` ties it to the server's logs."""

    code: str = Field(examples=["document_not_found"])
    message: str = Field(examples=["no document with id 'x'"])
    request_id: str | None = None
    details: list[dict[str, str]] | None = Field(
        default=None, description="Per-field problems of a bad request."
    )


class ErrorEnvelope(BaseModel):
    """The one shape of every error response."""

    error: ErrorBody


class Health(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Readiness: models loaded, store reachable, indexes consistent."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(examples=[{"embedder": "ok", "store": "ok", "lexical_index": "ok"}])
    collection: str
    embedding_model: str
    documents: int | None = None
    chunks: int | None = None


class DocumentOut(BaseModel):
    """An ingested document and its provenance."""

    doc_id: str
    title: str
    doc_type: DocType
    source: str
    url: str | None = None
    organisation: str | None = None
    journal: str | None = None
    year: int | None = None
    version: str | None = None
    series_id: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    extra: dict[str, MetaValue] = Field(default_factory=dict)
    chunk_count: int
    status: Literal["complete", "pending", "deleting"]
    ingested_at: str

    @classmethod
    def from_record(cls, record: DocumentRecord) -> DocumentOut:
        """Convert a catalog record."""
        meta = record.meta.model_dump(exclude={"language"})
        return cls(
            **meta, chunk_count=record.chunk_count, status=record.status, ingested_at=record.ingested_at
        )


class DocumentList(BaseModel):
    """A page of documents."""

    items: list[DocumentOut]
    total: int
    offset: int
    limit: int


class DeleteResult(BaseModel):
    """Outcome of deleting a document."""

    doc_id: str
    chunks_removed: int
