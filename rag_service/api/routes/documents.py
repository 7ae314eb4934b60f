"""Document listing, lookup and deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile

from rag_service.api.audit import audit_details
from rag_service.api.deps import DocumentsDep, SettingsDep, UploadsDep
from rag_service.api.metrics import MetricsDep
from rag_service.api.schemas import DeleteResult, DocumentList, DocumentOut, ErrorEnvelope
from rag_service.api.upload_schemas import UploadedFile, UploadResponse
from rag_service.domain.audit import AuditedDocument
from rag_service.domain.documents import DOC_ID_PATTERN
from rag_service.domain.errors import RagError
from rag_service.domain.uploads import IncomingFile

router = APIRouter(prefix="/v1/documents", tags=["documents"])
DocId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=DOC_ID_PATTERN,
        examples=["open-medicine.sepsis3_2016.sepsis_definition"],
    ),
]
_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorEnvelope},
    409: {"model": ErrorEnvelope},
    413: {"model": ErrorEnvelope},
    422: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
}


class PageTooLargeError(RagError):
    """A page size above the configured maximum."""

    code = "invalid_request"


@router.get("", response_model=DocumentList, responses=_ERRORS)
def list_documents(
    documents: DocumentsDep,
    settings: SettingsDep,
    request: Request,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Documents to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, description="Page size, at most api.max_page_size.")] = 50,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only documents whose id, title, organisation, journal, source, PMID, DOI, version "
            "or year contains this text (case-insensitive).",
        ),
    ] = None,
) -> DocumentList:
    """Ingested documents ordered by id, with provenance, passage counts and whether a newer edition exists."""
    limit = min(limit, settings.api.max_page_size)
    page = documents.page(offset, limit, q)
    return DocumentList(
        items=[DocumentOut.from_record(r, r.meta.doc_id in page.superseded) for r in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get("/{doc_id}", response_model=DocumentOut, responses=_ERRORS)
def get_document(doc_id: DocId, documents: DocumentsDep) -> DocumentOut:
    """One document's provenance."""
    return DocumentOut.from_record(documents.get(doc_id), documents.is_superseded(doc_id))


@router.delete("/{doc_id}", response_model=DeleteResult, responses=_ERRORS)
def delete_document(doc_id: DocId, documents: DocumentsDep, request: Request) -> DeleteResult:
    """Remove a document and all its passages from both the vector and the keyword index."""
    audit = audit_details(request)
    audit.affected_doc_ids = (doc_id,)
    record = documents.get(doc_id)
    audit.documents = (AuditedDocument(doc_id, record.meta.version, record.content_hash[:16]),)
    removed = documents.delete(doc_id)
    audit.counts = {"documents_deleted": 1, "chunks_removed": removed}
    return DeleteResult(doc_id=doc_id, chunks_removed=removed)


@router.post("", response_model=UploadResponse, responses=_ERRORS)
def upload_documents(
    files: Annotated[
        list[UploadFile], File(description="One or more files (PDF, HTML, Markdown, text, XML, JSONL).")
    ],
    uploads: UploadsDep,
    metrics: MetricsDep,
    request: Request,
) -> UploadResponse:
    """Ingest uploaded files with the ingest pipeline: same limits, same idempotence, one result per file.

    A file of the wrong type, over ``ingest.max_file_mb``, empty or unreadable gets status ``failed`` with the
    reason; the others are still ingested. The same bytes uploaded again under the same name are
    ``unchanged``. 409 while another process (``rag-ingest``) holds the writer lock.
    """
    incoming = [IncomingFile(filename=f.filename or "", content=f.file) for f in files]
    results = uploads.ingest_uploads(incoming)
    metrics.observe_uploads(results)
    audit = audit_details(request)
    audit.affected_doc_ids = tuple(
        dict.fromkeys(d for r in results if r.status == "ingested" for d in r.doc_ids)
    )
    audit.counts = {
        "files": len(results),
        "ingested": sum(r.status == "ingested" for r in results),
        "unchanged": sum(r.status == "unchanged" for r in results),
        "failed": sum(r.status == "failed" for r in results),
        "passages": sum(r.passages for r in results if r.status == "ingested"),
    }
    return UploadResponse(files=[UploadedFile.from_result(r) for r in results])
