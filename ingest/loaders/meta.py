"""Shared rules for turning loose metadata (front matter, JSON records, file names) into a DocumentMeta."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag_service.domain.documents import DocumentMeta

# Keys a user may write in front matter or a JSONL record, mapped to the DocumentMeta field they fill.
KNOWN_KEYS: dict[str, str] = {
    "title": "title",
    "url": "url",
    "organisation": "organisation",
    "organization": "organisation",
    "journal": "journal",
    "year": "year",
    "version": "version",
    "series_id": "series_id",
    "doc_type": "doc_type",
    "pmid": "pmid",
    "pmcid": "pmcid",
    "doi": "doi",
    "language": "language",
}

# Identifiers are often written as bare numbers (pmid: 12345); the model wants strings.
STRING_FIELDS = frozenset({"url", "organisation", "journal", "version", "series_id", "pmid", "pmcid", "doi"})

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d|2200)(?!\d)")
_MAX_TITLE = 1000


def readable_stem(path: Path) -> str:
    """A title made from a file name, e.g. ``sepsis_guideline-2024.md`` -> ``Sepsis guideline 2024``.

    Args:
        path: The file the document came from.

    Returns:
        The stem with separators turned into spaces; never empty.
    """
    words = re.sub(r"[_\-.\s]+", " ", path.stem).strip()
    if not words:
        return "Untitled"
    return words[0].upper() + words[1:]


def clean_title(text: str) -> str:
    """Collapse whitespace in a title and cut it to the length DocumentMeta accepts."""
    title = " ".join(text.split())
    return title[:_MAX_TITLE].rstrip()


def parse_year(value: object) -> int | None:
    """The first plausible publication year (1800-2200) in a value such as ``2021-03-04`` or ``Spring 1998``.

    Args:
        value: An int, or a string holding a date.

    Returns:
        The year, or None when the value holds none.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1800 <= value <= 2200 else None
    if not isinstance(value, str):
        return None
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def meta_from_mapping(
    fields: Mapping[str, Any],
    *,
    doc_id: str,
    title: str,
    source: str,
    ignore: frozenset[str] = frozenset(),
) -> DocumentMeta:
    """Build a DocumentMeta from user-written metadata, keeping unknown scalar keys in ``extra``.

    Args:
        fields: Metadata as written by the user (front matter, a JSON record).
        doc_id: The document id to use.
        title: The title to use; a ``title`` key in ``fields`` is ignored in favour of it.
        source: Path or URL of the file.
        ignore: Keys the caller has already consumed (``id``, ``text``...), left out of ``extra``.

    Returns:
        The metadata.

    Raises:
        pydantic.ValidationError: A known field has a value the model refuses (e.g. an unknown doc_type).
    """
    known: dict[str, Any] = {}
    extra: dict[str, str | int | float | bool] = {}
    for key, value in fields.items():
        if key in ignore or value is None:
            continue
        target = KNOWN_KEYS.get(key)
        if target == "title":
            continue
        if target is None:
            # Nested values cannot be filtered on in the store, so only scalars survive as extra metadata.
            if isinstance(value, str | int | float | bool):
                extra[key] = value
            continue
        if target in STRING_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if target == "year" and isinstance(value, str):
            # "2021-03" means 2021; anything without a year is left for the model to reject by name.
            value = parse_year(value) or value
        known[target] = value
    nested_extra = fields.get("extra")
    if isinstance(nested_extra, Mapping) and "extra" not in ignore:
        extra.update({str(k): v for k, v in nested_extra.items() if isinstance(v, str | int | float | bool)})
    return DocumentMeta(doc_id=doc_id, title=title, source=source, extra=extra, **known)
