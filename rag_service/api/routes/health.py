"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from rag_service.api.deps import StateDep
from rag_service.api.errors import redact_paths
from rag_service.api.schemas import Health, Readiness
from rag_service.domain.errors import RagError

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive. Says nothing about models or stores."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(state: StateDep) -> JSONResponse:
    """Ready to answer: embedding model loaded, vector store reachable, lexical index current."""
    c = state.components
    checks: dict[str, str] = {"embedder": "ok" if c.embedder.is_loaded else "loading"}
    documents = chunks = None
    try:
        state.ensure_open()
        checks["store"] = "ok" if c.store.ping() else "unreachable"
        # An ingest in another process rebuilds the keyword index; pick it up here.
        checks["lexical_index"] = "ok" if c.index.reload_lexical() else "stale"
        documents, chunks = c.catalog.document_count(), c.catalog.chunk_count()
    except RagError as exc:
        checks["store"] = redact_paths(f"unavailable: {exc}", state.components.settings.data_dir)[:300]
    ready = all(v == "ok" for v in checks.values())
    body = Readiness(
        status="ready" if ready else "not_ready",
        checks=checks,
        collection=c.store.collection_name,
        embedding_model=c.embedder.model_id,
        documents=documents,
        chunks=chunks,
    )
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump())
