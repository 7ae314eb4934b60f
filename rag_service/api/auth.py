"""Access control of the HTTP API: who may call which route, allowed ``Host`` values, CORS and per-key limits.

* ``POLICY`` is the one table of route -> required role (or public). ``authorize`` applies it to every route
  as an app-level dependency, so route modules carry no access code; a route missing from the table needs
  ``admin`` (fail closed), and a test checks that every route of the app is in it.
* A key is sent as ``Authorization: Bearer <key>``: no key, or an unknown or revoked one, gets 401 with
  ``WWW-Authenticate: Bearer``; a role below the route's gets 403; a key over its rate or its requests in
  flight gets 429 with ``Retry-After``. Afterwards ``request.state.key_name`` (``"-"`` when no key applies:
  auth off or a public route) and ``request.state.key_role`` (a Role, or None) say who is calling.
* ``Host`` values outside ``api.allowed_hosts`` get 400 (DNS rebinding), checked by Starlette's
  ``TrustedHostMiddleware`` with the refusal put in the error envelope; cross-origin browser calls are
  allowed only from ``api.cors_origins``, by Starlette's ``CORSMiddleware``.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any, Final, Literal

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag_service.api.middleware import send_error
from rag_service.domain.auth import AuthenticationError, PermissionDeniedError, Role
from rag_service.domain.errors import RagError
from rag_service.services.keys import KeyService
from rag_service.services.limits import RequestLimits
from rag_service.settings import Settings

log = logging.getLogger(__name__)

PUBLIC: Final = "public"
Access = Role | Literal["public"]

# Method + route template -> who may call it. Public: liveness, readiness and metrics (probes and scrapers
# hold no key), the chat page and its assets (the page asks for a key itself), and the API description
# (/docs, /redoc, /openapi.json: the shape of the API, no data; Swagger UI needs the schema to offer its
# "Authorize" button).
POLICY: dict[tuple[str, str], Access] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("POST", "/v1/search"): Role.READER,
    ("POST", "/v1/ask"): Role.READER,
    ("POST", "/v1/chat/completions"): Role.READER,
    ("GET", "/v1/models"): Role.READER,
    ("GET", "/v1/models/{model_id}"): Role.READER,
    ("GET", "/v1/facets"): Role.READER,
    ("GET", "/v1/documents"): Role.READER,
    ("GET", "/v1/documents/{doc_id}"): Role.READER,
    ("POST", "/v1/feedback"): Role.READER,
    ("POST", "/v1/documents"): Role.EDITOR,
    ("DELETE", "/v1/documents/{doc_id}"): Role.EDITOR,
    ("GET", "/v1/keys"): Role.ADMIN,
    ("POST", "/v1/keys"): Role.ADMIN,
    ("DELETE", "/v1/keys/{name}"): Role.ADMIN,
}
UNLISTED: Final = Role.ADMIN

# Where ``authorize`` leaves the functions that end a request's in-flight slot; ``InFlightRelease`` calls them
# once the response, streamed or not, has been sent (or the client went away).
_RELEASES = "rag.in_flight_releases"
_BEARER = re.compile(r"^Bearer +([A-Za-z0-9._~+/=-]{1,256})$", re.IGNORECASE)
_SCHEME = "bearer"


def access_for(method: str, path: str) -> Access:
    """Who may call ``method`` on the route template ``path`` (HEAD as GET; unlisted routes need admin)."""
    method = "GET" if method == "HEAD" else method
    return POLICY.get((method, path), UNLISTED)


def _token(header: str | None) -> str | None:
    if header is None:
        return None
    match = _BEARER.match(header.strip())
    if match is None:
        raise AuthenticationError(
            "the Authorization header must be 'Bearer <API key>'", token_given=bool(header.strip())
        )
    return match.group(1)


async def authorize(request: Request) -> None:
    """The app-level dependency: apply ``POLICY`` to the matched route, then the key's limits.

    Raises:
        AuthenticationError: No key, or an unknown or revoked one (401).
        PermissionDeniedError: The key's role is below the route's (403).
        RateLimitedError: The key is over its rate or its requests in flight (429).
    """
    request.state.key_name = "-"
    request.state.key_role = None
    settings: Settings = request.app.state.settings
    route = request.scope.get("route")
    required = access_for(request.method, getattr(route, "path", request.url.path))
    if not settings.auth.enabled or required == PUBLIC:
        return
    token = _token(request.headers.get("authorization"))
    if token is None:
        raise AuthenticationError("this endpoint needs an API key: send 'Authorization: Bearer <API key>'")
    keys: KeyService = request.app.state.keys
    # Verified keys are cached for seconds; only a cache miss reads the database, off the event loop.
    key = keys.cached(token)
    if key is None:
        key = await run_in_threadpool(keys.verify, token)
    request.state.key_name = key.name
    request.state.key_role = key.role
    if key.role < required:
        raise PermissionDeniedError(
            f"this endpoint needs the {required.label} role; the key '{key.name}' has {key.role.label}"
        )
    limits: RequestLimits = request.app.state.limits
    release = limits.admit(key.name)
    releases: list[Callable[[], None]] | None = request.scope.get(_RELEASES)
    if releases is None:  # not under InFlightRelease: nothing would end the slot, so do not hold one
        release()
    else:
        releases.append(release)


class InFlightRelease:
    """Ends the in-flight slots a request took (see ``authorize``) when its response has been sent in full,
    including every event of a streamed answer, or when the client disconnected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        releases: list[Callable[[], None]] = []
        scope[_RELEASES] = releases

        def release_all() -> None:
            while releases:
                releases.pop()()

        async def sending(message: Message) -> None:
            # Freed just before the last byte goes out, so a client that has read the whole response and
            # sends its next request at once never finds this one still counted.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release_all()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release_all()


class UploadGate:
    """Checks the key and role of a file upload before its body is read.

    FastAPI reads (and spools) a request's form body before any dependency runs, so ``authorize`` alone would
    let an anonymous client send ``api.max_upload_bytes`` before its 401. Only the routes named in ``gated``
    are checked here; ``authorize`` still applies the full policy and the limits afterwards.
    """

    def __init__(self, app: ASGIApp, routes: tuple[tuple[str, str], ...]) -> None:
        self.app = app
        self.gated = {route: access for route in routes if isinstance(access := access_for(*route), Role)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        required = (
            self.gated.get((scope.get("method", ""), scope.get("path", "")))
            if scope["type"] == "http"
            else None
        )
        settings: Settings | None = getattr(getattr(scope.get("app"), "state", None), "settings", None)
        if required is None or settings is None or not settings.auth.enabled:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        try:
            await self._check(scope, headers, required)
        except AuthenticationError as exc:
            challenge = 'Bearer realm="rag"' + (', error="invalid_token"' if exc.token_given else "")
            await send_error(
                headers, send, 401, exc.code, str(exc), ((b"www-authenticate", challenge.encode()),)
            )
            return
        except PermissionDeniedError as exc:
            await send_error(headers, send, 403, exc.code, str(exc))
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _check(scope: Scope, headers: dict[bytes, bytes], required: Role) -> None:
        raw = headers.get(b"authorization")
        token = _token(raw.decode("latin-1") if raw is not None else None)
        if token is None:
            raise AuthenticationError(
                "this endpoint needs an API key: send 'Authorization: Bearer <API key>'"
            )
        keys: KeyService = scope["app"].state.keys
        key = keys.cached(token)
        if key is None:
            key = await run_in_threadpool(keys.verify, token)
        if key.role < required:
            raise PermissionDeniedError(
                f"this endpoint needs the {required.label} role; the key '{key.name}' has {key.role.label}"
            )


class AllowedHosts:
    """Starlette's ``TrustedHostMiddleware`` with its refusal (a plain-text 400) put in the error envelope.

    The check itself (parsing the header, IPv6 literals, ``*.`` patterns) is Starlette's; only a request it
    lets through reaches the app, which marks the scope, so a response to an unmarked scope is the refusal.
    """

    _PASSED = "rag.host_allowed"

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        async def passed(scope: Scope, receive: Receive, send: Send) -> None:
            scope[self._PASSED] = True
            await app(scope, receive, send)

        self.check = TrustedHostMiddleware(passed, allowed_hosts=allowed_hosts, www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.check(scope, receive, send)
            return

        async def envelope(message: Message) -> None:
            if scope.get(self._PASSED):
                await send(message)
                return
            if message["type"] == "http.response.start":
                rid = uuid.uuid4().hex
                body = json.dumps(
                    {
                        "error": {
                            "code": "invalid_host",
                            "message": "the Host header is not one this service answers to (api.allowed_hosts)",
                            "request_id": rid,
                        }
                    }
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"x-request-id", rid.encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})

        await self.check(scope, receive, envelope)


def install_access_control(app: FastAPI, settings: Settings, keys: KeyService) -> None:
    """Wire keys, limits, CORS and the host check into ``app`` (the ``authorize`` dependency is given to
    ``FastAPI(dependencies=...)`` by the factory). Call it after the routes and the other middleware, so the
    host check and CORS wrap everything but the metrics."""
    app.state.keys = keys
    app.state.limits = RequestLimits(settings.auth.rate_per_minute, settings.auth.max_concurrent)
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID", "WWW-Authenticate"],
            # Keys travel in a header, never in cookies: credentialed cross-origin requests are not needed.
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(AllowedHosts, allowed_hosts=settings.api.allowed_hosts)
    document_security(app)


def document_security(app: FastAPI) -> None:
    """State in the OpenAPI schema which operations need a bearer key, and their 401/403/429 answers."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})[_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from `rag-keys create NAME --role reader|editor|admin`.",
        }
        envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
        answers = {
            "401": "No API key, or an unknown or revoked one (WWW-Authenticate: Bearer).",
            "403": "The key's role is too low for this endpoint.",
            "429": "The key is over its request rate or its requests in flight (Retry-After says when to retry).",
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                required = access_for(method.upper(), path)
                if required == PUBLIC:
                    continue
                operation["security"] = [{_SCHEME: []}]
                operation["description"] = (
                    operation.get("description", "")
                    + f"\n\nNeeds an API key with the `{required.label}` role."
                ).strip()
                responses = operation.setdefault("responses", {})
                for status, text in answers.items():
                    responses.setdefault(status, {"description": text, "content": envelope})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


async def announce(settings: Settings, keys: KeyService) -> None:
    """Say at start how access is controlled: a loud warning when it is off, the command to run when no
    key exists yet."""
    if not settings.auth.enabled:
        log.warning(
            "AUTHENTICATION IS OFF (RAG_AUTH__ENABLED=false): anyone who can reach this port can search, "
            "upload and delete documents. Use this for local development on loopback only."
        )
        return
    try:
        active = await run_in_threadpool(keys.has_active_keys)
    except RagError as exc:
        log.error("the API-key database cannot be read (%s); every request needing a key will fail", exc.code)
        return
    if not active:
        log.warning(
            "authentication is on and no API key exists yet: every request but /healthz, /readyz and "
            "/metrics gets 401. Create one with: rag-keys create NAME --role admin"
        )
