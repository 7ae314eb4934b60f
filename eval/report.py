"""The one JSON writer of ``eval/``: a benchmark's figures and a ``rag-eval`` run's ``results.json``.

NaN (an undefined metric, e.g. an AUROC with one class) is written as null: JSON has no NaN.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _finite(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def to_json(data: Any, indent: int = 2) -> str:
    """``data`` as JSON text, NaN as null, non-ASCII kept as it is."""
    return json.dumps(_finite(data), indent=indent, ensure_ascii=False, allow_nan=False)


def write_json(data: Any, path: Path, indent: int = 2) -> Path:
    """Write ``data`` as JSON to ``path`` (its folder created if needed); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(data, indent) + "\n", encoding="utf-8")
    return path


def emit(figures: dict[str, Any], out: Path | None) -> None:
    """Print a benchmark's figures as JSON and, when ``out`` is given, write them there too."""
    print(to_json(figures))
    if out:
        write_json(figures, out)
