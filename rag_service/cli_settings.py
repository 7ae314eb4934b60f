"""Settings for the small management CLIs (rag-keys, rag-audit, rag-feedback): one way to load them."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import ValidationError

from rag_service.logs import configure_logging
from rag_service.settings import Settings


def load_cli_settings(data_dir: Path | None) -> Settings | None:
    """Settings from the environment, ``--data-dir`` overriding RAG_DATA_DIR, with quiet logging; None (after
    printing why to stderr) when they are invalid."""
    try:
        settings = Settings(data_dir=data_dir) if data_dir else Settings()
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return None
    configure_logging("WARNING")
    return settings
