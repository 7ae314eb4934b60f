"""One error envelope for every failure: ``{"error": {"code", "message", "request_id"}}``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from rag_service.api.schemas import ErrorBody, ErrorEnvelope
from rag_service.domain.auth import (
    AuthenticationError,
    KeyExistsError,
    KeyInUseError,
    KeyNotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from rag_service.domain.errors import (
    ConfigurationError,
    DocumentNotFoundError,
    IndexBusyError,
    InvalidRequestError,
    LlmTimeoutError,
    LlmUnavailableError,
    ModelNotFoundError,
    OverloadedError,
    RagError,
    RequestCancelledError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)

_STATUS: dict[type[RagError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    RateLimitedError: 429,
    KeyNotFoundError: 404,
    KeyExistsError: 409,
    KeyInUseError: 409,
    DocumentNotFoundError: 404,
    ModelNotFoundError: 404,
    InvalidRequestError: 422,
    LlmTimeoutError: 504,
    LlmUnavailableError: 502,
    IndexBusyError: 409,
    StoreUnavailableError: 503,
    ConfigurationError: 503,
    OverloadedError: 503,
    # nginx's "client closed request": nobody reads it, but logs and metrics tell it from a failure.
    RequestCancelledError: 499,
}


# An absolute POSIX path: a slash (not '//', as in a URL) at the start or after a space, quote, bracket or '='.
_ABSOLUTE_PATH = re.compile(r"""(?:^|(?<=[\s'"(\[=]))/(?!/)[^\s'"()\[\],;]+""")


def redact_paths(text: str, data_dir: Path | str | None) -> str:
    """``text`` without absolute paths: one inside the data directory becomes relative to it, any other its
    file name, so no response reveals where the service keeps its data."""
    if data_dir is not None:
        roots = {str(Path(data_dir).resolve()), str(data_dir)}
        for prefix in sorted(roots, key=len, reverse=True):
            if prefix.startswith("/") and prefix != "/":
                text = text.replace(prefix + "/", "").replace(prefix, "the data directory")
    return _ABSOLUTE_PATH.sub(lambda m: Path(m.group(0)).name or "/", text)


def _data_dir(request: Request) -> Path | None:
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "data_dir", None)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build the envelope; the request id comes from the request-id middleware. Absolute paths in the
    message are redacted (see ``redact_paths``)."""
    body = ErrorEnvelope(
        error=ErrorBody(
            code=code,
            message=redact_paths(message, _data_dir(request)),
            request_id=getattr(request.state, "request_id", None),
            details=details,
        )
    )
    return JSONResponse(status_code=status, content=body.model_dump(exclude_none=True), headers=headers)


def _status_for(exc: RagError) -> int:
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    return 500


async def _rag_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RagError)
    status = _status_for(exc)
    if status >= 500:
        log.warning("request failed: %s: %s", exc.code, exc)
    retry = getattr(exc, "retry_after_s", None)
    headers = {"Retry-After": str(retry)} if isinstance(retry, int) else {}
    if isinstance(exc, AuthenticationError):
        # RFC 6750: say how to authenticate, and whether the key that was sent is the problem.
        headers["WWW-Authenticate"] = 'Bearer realm="rag"' + (
            ', error="invalid_token"' if exc.token_given else ""
        )
    return error_response(request, status, exc.code, str(exc), headers=headers or None)


def _detail(err: dict[str, object]) -> dict[str, str]:
    loc = err.get("loc", ())
    parts = [str(p) for p in loc] if isinstance(loc, tuple | list) else []
    if err.get("type") == "json_invalid":
        # The location of a JSON syntax error is a character offset, not a field: say so in the problem.
        return {"field": "body", "problem": f"the body is not valid JSON (at character {parts[-1]})"}
    return {"field": ".".join(parts), "problem": str(err.get("msg", ""))}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [_detail(err) for err in exc.errors()]
    # Never echo the submitted value: it may be a question holding patient data.
    return error_response(request, 422, "invalid_request", "the request is not valid", details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    if exc.status_code == 400:
        # FastAPI's "There was an error parsing the body" (e.g. bytes that are not UTF-8): a malformed body,
        # reported like every other invalid request.
        details = [{"field": "body", "problem": "the body is not valid JSON"}]
        return error_response(request, 422, "invalid_request", "the request is not valid", details)
    code = codes.get(exc.status_code, "http_error")
    # Keep the handler's headers: a 405 must say which methods are allowed (Allow).
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return error_response(request, exc.status_code, code, str(exc.detail), headers=headers or None)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own Allow names only the first route that
    matched the path, and a path such as /v1/documents has one route per method."""
    methods: set[str] = set()
    for ctx in iter_route_contexts(request.app.routes):
        if ctx.methods and compile_path(str(ctx.path))[0].fullmatch(request.url.path):
            methods |= set(ctx.methods)
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return error_response(request, 500, "internal_error", "an internal error occurred; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through the envelope."""
    app.add_exception_handler(RagError, _rag_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
