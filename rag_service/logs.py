"""Logging set-up shared by the service and the command-line tools: one JSON object a line on stderr.

Each line carries the time, level, logger, message and, inside a request, its id (the ``X-Request-ID`` the
response returns). JSON encoding escapes control characters, so a value holding a newline or an ANSI escape
can never forge or garble a log line. Question and document text is never logged at INFO or above; DEBUG may
hold a question only after redaction (rag_service/services/phi.py).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being handled, set by the API's request-id middleware."""


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with ``ts``, ``level``, ``logger``, ``msg`` and ``request_id``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON (control characters escaped)."""
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True, default=str)


def configure_logging(level: str) -> None:
    """JSON lines on stderr at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Third-party libraries are chatty at INFO (HTTP calls, telemetry notices, weight loading).
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "bm25s", "pypdf"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
