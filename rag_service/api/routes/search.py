"""Evidence search."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rag_service.api.audit import audit_details
from rag_service.api.deps import SearchDep, StateDep
from rag_service.api.schemas import ErrorEnvelope, SearchBody, SearchResponse
from rag_service.services.audit import documents_from

router = APIRouter(prefix="/v1", tags=["search"])
_ERRORS: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorEnvelope},
    422: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
}


@router.post("/search", response_model=SearchResponse, responses=_ERRORS)
def search(body: SearchBody, service: SearchDep, state: StateDep, request: Request) -> SearchResponse:
    """The best evidence passages for a question, with provenance and scores.

    Hybrid dense + BM25 retrieval, fused and reranked, filtered by metadata, with superseded guideline
    editions left out unless `filters.include_superseded` is set. When no passage reaches the relevance
    threshold, `results` is empty and `no_relevant_evidence` is true.
    """
    audit = audit_details(request)
    audit.question = body.question
    outcome = service.search(
        body.question,
        top_k=body.top_k,
        filters=body.filters,
        mode=body.mode,
        rerank=body.rerank,
        min_relevance=body.min_relevance,
    )
    c = state.components
    audit.documents = documents_from(
        c.document_versions(list(dict.fromkeys(e.doc_id for e in outcome.evidence)))
    )
    audit.backend = f"search:{outcome.mode}"
    audit.model = c.embedder.model_id
    if outcome.no_relevant_evidence:
        audit.abstention_code = "no_evidence"
    return SearchResponse.from_outcome(outcome, c.store.collection_name, c.embedder.model_id)
