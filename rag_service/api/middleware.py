"""Request ids (taken from ``X-Request-ID`` when sane, otherwise generated) and the request body limit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag_service.logs import request_id as current_request_id

log = logging.getLogger("rag_service.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def install_request_id(app: FastAPI) -> None:
    """Tag every request with an id and log method, path, status and time (never bodies)."""

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = rid
        token = current_request_id.set(rid)  # every log line of this request carries its id
        try:
            started = time.perf_counter()
            response = await call_next(request)
            response.headers["X-Request-ID"] = rid
            ms = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", request.method, request.url.path, response.status_code, ms)
            return response
        finally:
            current_request_id.reset(token)


class BodyLimit:
    """Refuses request bodies over a size limit with 413, never holding more than the limit in memory.

    A pure ASGI middleware: a declared Content-Length over the limit is refused at once; a body sent without
    one (chunked) is read up to the limit before the app sees it, then replayed to the app.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, uploads: tuple[str, ...] = (), max_upload_bytes: int = 0
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # File uploads (POST to these paths) have their own, larger limit; each file is then checked
        # against ingest.max_file_mb by the ingest pipeline.
        self.uploads = uploads
        self.max_upload_bytes = max(max_upload_bytes, max_bytes)

    def _limit(self, scope: Scope) -> int:
        upload = scope.get("method") == "POST" and scope.get("path") in self.uploads
        return self.max_upload_bytes if upload else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self._limit(scope)
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await self._refuse(headers, send, limit)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._refuse(headers, send, limit)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, headers: dict[bytes, bytes], send: Send, limit: int) -> None:
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"the request body is larger than {limit} bytes",
                    "request_id": rid,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", rid.encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        log.info("request refused: body over %d bytes", limit, extra={"request_id": rid})


PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = [
    (b"content-security-policy", PAGE_CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class PageSecurityHeaders:
    """Adds the chat page's Content-Security-Policy (no inline script or style, nothing from another origin)
    and related headers to the page and its static assets; API responses and /docs are left as they are.
    """

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...] = ("/static/",)) -> None:
        self.app = app
        self.prefixes = prefixes

    def _applies(self, path: str) -> bool:
        return path == "/" or path.startswith(self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._applies(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in _PAGE_HEADERS}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + _PAGE_HEADERS}
            await send(message)

        await self.app(scope, receive, with_headers)
