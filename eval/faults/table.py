"""The short table each benchmark prints (rich), next to the JSON report it writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from eval.report import write_json

_CONSOLE = Console(stderr=False, highlight=False)


def show(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print ``rows`` under ``columns`` as one table."""
    table = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    _CONSOLE.print(table)


def note(text: str) -> None:
    """Print one line of commentary."""
    _CONSOLE.print(text)


def save(report: dict[str, Any], out: Path) -> None:
    """Write the JSON report and say where."""
    write_json(report, out)
    _CONSOLE.print(f"report: {out}")
