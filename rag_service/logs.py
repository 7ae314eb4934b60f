"""Logging set-up shared by the service and the command-line tools."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    """Plain, single-line logs on stderr. Question and document text is only ever logged at DEBUG."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    # Third-party libraries are chatty at INFO (HTTP calls, telemetry notices, weight loading).
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "bm25s", "pypdf"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
