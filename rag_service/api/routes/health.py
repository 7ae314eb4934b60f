"""Liveness and readiness probes.

Liveness (``/healthz``) runs on the event loop and touches nothing else, so it answers at once even while
every worker thread is busy with answers. Readiness (``/readyz``) checks the model, the store and the keyword
index in a thread of its own (not the worker pool), so a burst of requests delays it little.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rag_service.api.errors import redact_paths
from rag_service.api.schemas import Health, Readiness
from rag_service.api.state import ServiceState
from rag_service.domain.errors import RagError

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is alive and its event loop responsive. Says nothing about models or stores."""
    return Health()


def _ready(value: str) -> bool:
    # "updating": an ingest rebuilds the keyword index; the previous one keeps serving meanwhile.
    return value == "ok" or value.startswith("updating")


def readiness(state: ServiceState) -> tuple[bool, Readiness]:
    """Every check, with the exact reason for any that is not ok."""
    c = state.components
    checks: dict[str, str] = {"embedder": "ok" if c.embedder.is_loaded else "loading"}
    documents = chunks = None
    try:
        state.ensure_open()
        checks["store"] = "ok" if c.store.ping() else "unreachable"
        # Picks up an index another process rebuilt, rebuilds a stale one, or says what to run.
        checks["lexical_index"] = state.lexical_check()
        documents, chunks = c.catalog.document_count(), c.catalog.chunk_count()
    except RagError as exc:
        checks["store"] = redact_paths(f"unavailable: {exc}", state.components.settings.data_dir)[:300]
    ready = all(_ready(v) for v in checks.values())
    body = Readiness(
        status="ready" if ready else "not_ready",
        checks=checks,
        collection=c.store.collection_name,
        embedding_model=c.embedder.model_id,
        documents=documents,
        chunks=chunks,
    )
    return ready, body


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request) -> JSONResponse:
    """Ready to answer: embedding model loaded, vector store reachable, keyword index current.

    `checks.lexical_index` is `ok`, `updating: ...` while an ingest rebuilds it (still ready), or
    `stale (built from N passages ..., the catalog has M ...); run rag-ingest --rebuild-lexical` (503).
    """
    # Not through a (sync) dependency: those run in the worker pool this probe must not wait for.
    state: ServiceState = request.app.state.service
    ready, body = await asyncio.to_thread(readiness, state)
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump())
