"""Request ids (taken from ``X-Request-ID`` when sane, otherwise generated), the request body limit and the
request body timeout."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

import anyio
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


class _BodyTimer:
    """The app's ``receive`` and ``send``, with a deadline on the request body.

    Until the body is complete each ``receive`` waits at most until the deadline; past it the app is told the
    client went away (``http.disconnect``), whatever it then sends is dropped, and the middleware answers 408.
    """

    def __init__(self, receive: Receive, send: Send, seconds: float) -> None:
        self._receive = receive
        self._send = send
        self._deadline = time.monotonic() + seconds if seconds > 0 else None
        self._body_done = False
        self.timed_out = False
        self.started = False

    async def receive(self) -> Message:
        if self._body_done or self._deadline is None:
            return await self._receive()
        try:
            with anyio.fail_after(max(0.0, self._deadline - time.monotonic())):
                message = await self._receive()
        except TimeoutError:
            self.timed_out = self._body_done = True
            return {"type": "http.disconnect"}
        if message["type"] != "http.request" or not message.get("more_body", False):
            self._body_done = True
        return message

    async def send(self, message: Message) -> None:
        if self.timed_out:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class BodyLimit:
    """Refuses request bodies over a size limit with 413, never holding more than the limit in memory, and
    bodies sent too slowly with 408.

    A pure ASGI middleware: a declared Content-Length over the limit is refused at once; a body sent without
    one (chunked) is read up to the limit before the app sees it, then replayed to the app. A body not complete
    within ``body_timeout_s`` of the request head (a slow or stalled client) gets 408 and the connection closes.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        uploads: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
        body_timeout_s: float = 0.0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # File uploads (POST to these paths) have their own, larger limit; each file is then checked
        # against ingest.max_file_mb by the ingest pipeline.
        self.uploads = uploads
        self.max_upload_bytes = max(max_upload_bytes, max_bytes)
        self.body_timeout_s = body_timeout_s

    def _limit(self, scope: Scope) -> int:
        upload = scope.get("method") == "POST" and scope.get("path") in self.uploads
        return self.max_upload_bytes if upload else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        timer = _BodyTimer(receive, send, self.body_timeout_s)
        try:
            await self._call(scope, timer, headers)
        except Exception:
            if not timer.timed_out:
                raise
        if timer.timed_out and not timer.started:
            message = f"the request body was not received within {self.body_timeout_s:g} s"
            await self._refuse(headers, send, 408, "request_timeout", message)

    async def _call(self, scope: Scope, timer: _BodyTimer, headers: dict[bytes, bytes]) -> None:
        limit = self._limit(scope)
        too_large = f"the request body is larger than {limit} bytes"
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await self._refuse(headers, timer.send, 413, "payload_too_large", too_large)
                return
            await self.app(scope, timer.receive, timer.send)
            return
        messages: list[Message] = []
        seen = 0
        while True:
            message = await timer.receive()
            if timer.timed_out:
                return
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._refuse(headers, timer.send, 413, "payload_too_large", too_large)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await timer.receive()

        await self.app(scope, replayed, timer.send)

    async def _refuse(
        self, headers: dict[bytes, bytes], send: Send, status: int, code: str, message: str
    ) -> None:
        await send_error(headers, send, status, code, message)


async def send_error(
    headers: dict[bytes, bytes],
    send: Send,
    status: int,
    code: str,
    message: str,
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """Answer from a pure ASGI middleware with the error envelope, and close the connection (the request's
    body, if any, is left unread)."""
    incoming = headers.get(b"x-request-id", b"").decode("latin-1")
    rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    body = json.dumps({"error": {"code": code, "message": message, "request_id": rid}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", rid.encode()),
                (b"connection", b"close"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
    log.info("request refused: %s (%d)", code, status, extra={"request_id": rid})


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
