"""The audit trail of the API: one record for every search, ask, chat, upload and delete, refused ones included.

A pure ASGI middleware times each audited request and writes its record when the response is about to start,
before the client sees any of it, with what the route left in ``request.state.audit`` (the question, cited
documents, backend, abstention code ...). An error response (4xx/5xx) is held until its small body is complete,
so the record carries the envelope's error code. The caller's key name is ``request.state.key_name`` (set by
authentication; ``-`` without it).

Failing closed: when the record cannot be written the client gets 503 ``audit_unavailable`` instead of the
response, and the failure is logged (without the question) and counted in ``rag_audit_write_failures``.
A hospital's audit trail is only worth having if it has no silent gaps: answering or changing documents while
nothing is recorded would make exactly the requests an investigation needs invisible. Streamed answers are
covered too, since their answer is complete before the first event is sent. An upload or delete has already
taken effect when its record fails, and the error message says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag_service.api.state import ServiceState
from rag_service.domain.answers import Answer
from rag_service.domain.audit import AuditDetails, AuditUnavailableError
from rag_service.services.audit import AuditService, documents_from

log = logging.getLogger(__name__)

AUDITED: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/v1/search"),
        ("POST", "/v1/ask"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/documents"),
        ("DELETE", "/v1/documents/{doc_id}"),
    }
)
# For requests refused before routing (413): the audited templates as patterns of the raw path.
_TEMPLATES = (
    (re.compile(r"/v1/(?:search|ask|chat/completions|documents)"), None),
    (re.compile(r"/v1/documents/[^/]+"), "/v1/documents/{doc_id}"),
)
_CHANGES = frozenset({("POST", "/v1/documents"), ("DELETE", "/v1/documents/{doc_id}")})
# Error bodies are small envelopes; anything longer is not parsed for its code.
_MAX_ERROR_BODY = 64 * 1024


def audit_details(request: Request) -> AuditDetails:
    """The request's audit details, created on first use; routes fill them in as they learn things."""
    details = getattr(request.state, "audit", None)
    if not isinstance(details, AuditDetails):
        details = AuditDetails()
        request.state.audit = details
    return details


def note_answer(request: Request, answer: Answer) -> None:
    """Leave an answer's provenance for the audit record: documents, backend, model, hashes, abstention."""
    details = audit_details(request)
    p = answer.provenance
    details.documents = documents_from(p.get("documents"))
    details.backend = _text(p.get("answer_backend"))
    details.model = _text(p.get("answer_model"))
    details.prompt_hash = _text(p.get("prompt_hash")) or None
    details.settings_hash = _text(p.get("settings_hash"))
    details.support_scorer_version = _text(p.get("support_scorer_version"))
    details.abstention_code = answer.abstention.code if answer.abstention is not None else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _error_code(body: bytes) -> str | None:
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


def endpoint_of(scope: Scope) -> str:
    """The route template the request matched, or for one refused before routing, the audited template its
    path fits (else the path itself, which is then not audited)."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    raw = str(scope.get("path", ""))
    for pattern, template in _TEMPLATES:
        if pattern.fullmatch(raw):
            return template or raw
    return raw


def _header(message: Message, name: bytes) -> str | None:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class AuditTrail:
    """Pure ASGI middleware writing one audit record per audited request (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        audit: Callable[[], AuditService | None],
        on_failure: Callable[[], None] = lambda: None,
    ) -> None:
        self.app = app
        self.audit = audit
        self.on_failure = on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "DELETE"):
            await self.app(scope, receive, send)
            return
        run = _AuditedRun(self, scope, send)
        try:
            await self.app(scope, receive, run.send)
        except Exception:
            await run.crashed()
            raise
        await run.ended()


class _AuditedRun:
    """One request passing through the middleware: holds the response until its record is written."""

    def __init__(self, trail: AuditTrail, scope: Scope, send: Send) -> None:
        self.trail = trail
        self.scope = scope
        self.downstream = send
        self.started = time.perf_counter()
        self.phase = "waiting"  # waiting -> holding -> passing | dropping
        self.held: list[Message] = []
        self.body = bytearray()
        self.status = 500
        self.failure = ""  # why the record could not be written, for the refusal
        self.endpoint = ""

    def _audited(self) -> bool:
        self.endpoint = endpoint_of(self.scope)
        return (self.scope["method"], self.endpoint) in AUDITED

    async def send(self, message: Message) -> None:
        if self.phase == "passing":
            await self.downstream(message)
            return
        if self.phase == "dropping":
            return
        if message["type"] == "http.response.start" and self.phase == "waiting":
            service = self.trail.audit()
            if not self._audited() or (service is not None and not service.enabled):
                self.phase = "passing"
                await self.downstream(message)
                return
            self.phase = "holding"
            self.status = int(message["status"])
            self.held.append(message)
            if self.status < 400:
                await self._write(None)
            return
        self.held.append(message)
        if message["type"] == "http.response.body":
            if len(self.body) < _MAX_ERROR_BODY:
                self.body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await self._write(_error_code(bytes(self.body)))

    async def crashed(self) -> None:
        """The app raised: before its response started, record a 500 (the error handler answers it)."""
        if self.phase == "waiting" and self._audited():
            self.status = 500
            await self._record("internal_error")
        elif self.phase == "holding":
            await self._write(_error_code(bytes(self.body)))

    async def ended(self) -> None:
        """The app returned: an error response still held (a body that never completed) is recorded now."""
        if self.phase == "holding":
            await self._write(_error_code(bytes(self.body)))

    async def _write(self, error_code: str | None) -> None:
        """Record, then release the held response, or replace it with 503 when the record failed."""
        if await self._record(error_code):
            self.phase = "passing"
            for message in self.held:
                await self.downstream(message)
        else:
            self.phase = "dropping"
            await self._refuse()
        self.held.clear()

    def _request_id(self) -> str:
        held = _header(self.held[0], b"x-request-id") if self.held else None
        state: dict[str, Any] = self.scope.get("state") or {}
        return held or str(state.get("request_id") or "-")

    async def _record(self, error_code: str | None) -> bool:
        state: dict[str, Any] = self.scope.get("state") or {}
        details = state.get("audit")
        method = str(self.scope["method"])
        rid = self._request_id()
        service = self.trail.audit()
        try:
            if service is None:
                raise AuditUnavailableError("the service is not started")
            await asyncio.to_thread(
                service.record,
                key_name=str(state.get("key_name") or "-"),
                endpoint=self.endpoint,
                method=method,
                request_id=rid,
                status=self.status,
                latency_ms=(time.perf_counter() - self.started) * 1000,
                details=details if isinstance(details, AuditDetails) else None,
                error_code=error_code,
            )
        except AuditUnavailableError as exc:
            self.trail.on_failure()
            self.failure = str(exc)
            log.error(
                "audit record not written for %s %s (status %d): %s",
                method,
                self.endpoint,
                self.status,
                exc,
                extra={"request_id": rid},
            )
            return False
        return True

    async def _refuse(self) -> None:
        rid = self._request_id()
        why = f" ({self.failure})" if self.failure else ""
        if (self.scope["method"], self.endpoint) in _CHANGES and self.status < 400:
            message = (
                f"the audit trail could not be written{why}; the request was carried out, so whatever it "
                "changed stands, but its result is withheld (list the documents before retrying)"
            )
        else:
            message = (
                f"the audit trail could not be written{why}, so the response is withheld; try again later"
            )
        body = json.dumps(
            {"error": {"code": AuditUnavailableError.code, "message": message, "request_id": rid}}
        ).encode()
        await self.downstream(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", rid.encode("latin-1")),
                ],
            }
        )
        await self.downstream({"type": "http.response.body", "body": body})


def _service_of(app: FastAPI) -> AuditService | None:
    state: ServiceState | None = getattr(app.state, "service", None)
    return None if state is None else state.components.audit


def _count_failure(app: FastAPI) -> None:
    metrics = getattr(app.state, "metrics", None)
    if metrics is not None:
        metrics.observe_audit_failure()


def install_audit(app: FastAPI) -> None:
    """Add the audit middleware; it reads the audit service from the app's state once the lifespan built it."""
    app.add_middleware(
        AuditTrail,
        audit=lambda: _service_of(app),
        on_failure=lambda: _count_failure(app),
    )
