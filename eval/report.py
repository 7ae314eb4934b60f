"""Printing and saving a benchmark's figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(figures: dict[str, Any], out: Path | None) -> None:
    """Print the figures as JSON and, when ``out`` is given, write them there too."""
    text = json.dumps(figures, indent=2)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
