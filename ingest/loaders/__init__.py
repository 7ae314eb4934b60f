"""File loaders of the ingestion layer, chosen by file extension."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import html, jsonl, markdown, pdf, text, xml
from ingest.loaders.base import LoadContext, Loader, LoadResult

LOADERS: dict[str, Loader] = {
    ".md": markdown.load,
    ".markdown": markdown.load,
    ".txt": text.load,
    ".text": text.load,
    ".html": html.load,
    ".htm": html.load,
    ".pdf": pdf.load,
    ".xml": xml.load,
    ".nxml": xml.load,
    ".jsonl": jsonl.load,
    ".ndjson": jsonl.load,
}

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(LOADERS)


def loader_for(path: Path) -> Loader | None:
    """The loader for a file, by its extension (case-insensitive).

    Args:
        path: The file.

    Returns:
        The loader, or None when the extension is not supported.
    """
    return LOADERS.get(path.suffix.lower())


__all__ = ["LOADERS", "SUPPORTED_EXTENSIONS", "LoadContext", "LoadResult", "Loader", "loader_for"]
