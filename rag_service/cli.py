"""``rag-serve``: run the HTTP service with uvicorn."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from rag_service.adapters.file_lock import DataDirInUseError, ServingLock
from rag_service.api.app import create_app
from rag_service.api.server import serve
from rag_service.bootstrap import check_installed
from rag_service.domain.errors import ConfigurationError, DataDirUnwritableError
from rag_service.logs import configure_logging
from rag_service.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the rag-serve console script."""
    parser = argparse.ArgumentParser(prog="rag-serve", description="Serve the clinical RAG HTTP API.")
    parser.add_argument("--host", help="interface to bind (default: RAG_API__HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: RAG_API__PORT or 8000)")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    try:
        check_installed(settings)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    host = args.host or settings.api.host
    port = args.port or settings.api.port
    # Embedded Chroma is owned by one process: refuse to share its data directory (see adapters/file_lock.py).
    lock = ServingLock(Path(settings.data_dir), "rag-serve") if settings.store.host is None else None
    try:
        if lock is not None:
            lock.acquire()
    except (DataDirInUseError, DataDirUnwritableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        serve(create_app(settings), settings, host, port)
    finally:
        if lock is not None:
            lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
