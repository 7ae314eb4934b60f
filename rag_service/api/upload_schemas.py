"""The response of the upload endpoint: one result per file."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rag_service.domain.uploads import UploadResult, UploadStatus


class UploadedFile(BaseModel):
    """What one uploaded file became."""

    filename: str
    status: UploadStatus = Field(
        description="'ingested' (new or changed), 'unchanged' (same bytes as before) or 'failed'."
    )
    doc_ids: list[str] = Field(description="Documents the file supplies.")
    passages: int = Field(description="Passages of those documents.")
    error: str | None = Field(description="Why the file (or some of its records) failed; null otherwise.")

    @classmethod
    def from_result(cls, r: UploadResult) -> UploadedFile:
        """Convert the ingester's result."""
        return cls(
            filename=r.filename, status=r.status, doc_ids=list(r.doc_ids), passages=r.passages, error=r.error
        )


class UploadResponse(BaseModel):
    """One result per uploaded file, in the order sent."""

    files: list[UploadedFile]
