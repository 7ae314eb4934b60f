"""Request ids: taken from ``X-Request-ID`` when sane, otherwise generated; echoed in the response."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

log = logging.getLogger("rag_service.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def install_request_id(app: FastAPI) -> None:
    """Tag every request with an id and log method, path, status and time (never bodies)."""

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = rid
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms rid=%s", request.method, request.url.path, response.status_code, ms, rid)
        return response
