"""One error envelope for every failure: ``{"error": {"code", "message", "request_id"}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag_service.api.schemas import ErrorBody, ErrorEnvelope
from rag_service.domain.errors import (
    ConfigurationError,
    DocumentNotFoundError,
    IndexBusyError,
    InvalidRequestError,
    LlmTimeoutError,
    LlmUnavailableError,
    ModelNotFoundError,
    RagError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)

_STATUS: dict[type[RagError], int] = {
    DocumentNotFoundError: 404,
    ModelNotFoundError: 404,
    InvalidRequestError: 422,
    LlmTimeoutError: 504,
    LlmUnavailableError: 502,
    IndexBusyError: 409,
    StoreUnavailableError: 503,
    ConfigurationError: 503,
}


def error_response(
    request: Request, status: int, code: str, message: str, details: list[dict[str, str]] | None = None
) -> JSONResponse:
    """Build the envelope; the request id comes from the request-id middleware."""
    body = ErrorEnvelope(
        error=ErrorBody(
            code=code, message=message, request_id=getattr(request.state, "request_id", None), details=details
        )
    )
    return JSONResponse(status_code=status, content=body.model_dump(exclude_none=True))


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
    return error_response(request, status, exc.code, str(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "problem": str(err.get("msg", ""))}
        for err in exc.errors()
    ]
    # Never echo the submitted value: it may be a question holding patient data.
    return error_response(request, 422, "invalid_request", "the request is not valid", details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    code = codes.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return error_response(request, 500, "internal_error", "an internal error occurred; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through the envelope."""
    app.add_exception_handler(RagError, _rag_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
