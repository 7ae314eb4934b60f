"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from rag_service.api.audit import install_audit
from rag_service.api.auth import InFlightRelease, UploadGate, announce, authorize, install_access_control
from rag_service.api.errors import install_error_handlers
from rag_service.api.metrics import install_metrics
from rag_service.api.middleware import BodyLimit, PageSecurityHeaders, install_request_id
from rag_service.api.routes import ask, chat, documents, facets, feedback, health, keys, search
from rag_service.api.state import ServiceState
from rag_service.bootstrap import Components, build_components, build_key_store
from rag_service.domain.errors import RagError
from rag_service.services.keys import KeyService
from rag_service.settings import Settings

DESCRIPTION = """
Clinical question answering grounded in ingested guidelines and literature.

Every error has the shape `{"error": {"code", "message", "request_id"}}`.
Every endpoint but `/healthz`, `/readyz` and `/metrics` needs an API key: `Authorization: Bearer <key>`
(create one with `rag-keys create NAME --role reader|editor|admin`).
Question text is never logged at INFO.
The chat page is served at `/` (static assets under `/static/`).
"""
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, components: Components | None = None) -> FastAPI:
    """Build the app. Models load and stores open in the lifespan, never at import.

    Every route is guarded by ``authorize`` (the route -> role table in ``rag_service.api.auth``); the key
    database is opened on the first request that needs it.
    """
    key_service = KeyService(build_key_store(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await announce(settings, key_service)
        built = components or build_components(settings)
        state = ServiceState(built)
        app.state.service = state
        # Loading torch and the model takes seconds: keep the event loop free meanwhile.
        await asyncio.to_thread(state.warm_up)
        try:
            yield
        finally:
            built.close()
            key_service.close()

    app = FastAPI(
        title="Clinical RAG service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(authorize)],
    )
    app.state.settings = settings
    app.state.started_at = int(time.time())
    # Innermost: ends a request's in-flight slot only once its (possibly streamed) response has been sent.
    app.add_middleware(InFlightRelease)
    install_request_id(app)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.api.max_body_bytes,
        uploads=("/v1/documents",),
        max_upload_bytes=settings.api.max_upload_bytes,
        body_timeout_s=settings.api.body_timeout_s,
    )
    # Outside the body limit: an upload's key is checked before any of its body is read.
    app.add_middleware(UploadGate, routes=(("POST", "/v1/documents"),))
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(search.router)
    app.include_router(ask.router)
    app.include_router(chat.router)
    app.include_router(documents.router)
    app.include_router(facets.router)
    app.include_router(feedback.router)
    app.include_router(keys.router)
    install_page(app)
    install_audit(app)
    # Host check and CORS wrap everything but the metrics.
    install_access_control(app, settings, key_service)
    # Outermost of our middleware, so refused (413) and failed requests are counted too.
    install_metrics(app, index_size=lambda: _index_size(app))
    return app


def _index_size(app: FastAPI) -> tuple[int, int] | None:
    """Documents and passages in the catalog, or None while the index is not open."""
    state: ServiceState | None = getattr(app.state, "service", None)
    if state is None or not state.is_open:
        return None
    try:
        return state.components.catalog.document_count(), state.components.catalog.chunk_count()
    except RagError:
        return None


def install_page(app: FastAPI) -> None:
    """Serve the chat page at ``/`` and its assets under ``/static/``, with the page's security headers."""
    app.add_middleware(PageSecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
