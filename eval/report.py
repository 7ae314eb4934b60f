"""Printing and saving a benchmark's figures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _finite(value: Any) -> Any:
    """NaN (an undefined metric, e.g. AUROC with one class) becomes null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def emit(figures: dict[str, Any], out: Path | None) -> None:
    """Print the figures as JSON and, when ``out`` is given, write them there too."""
    text = json.dumps(_finite(figures), indent=2, allow_nan=False)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
