"""JSON Lines loader: one document per line, ``{"id", "title", "text" | "sections", ...metadata}``."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from ingest.loaders.base import LoadContext, LoadResult, decode_text, normalise_whitespace
from ingest.loaders.markdown import split_markdown
from ingest.loaders.meta import clean_title, meta_from_mapping
from rag_service.domain.documents import Section, SourceDocument
from rag_service.domain.errors import IngestError

# Keys that shape the document itself rather than describe it, plus two a record cannot set: the source is
# always the file, and the id is spelled "id". Everything else is metadata.
_STRUCTURE_KEYS = frozenset({"id", "title", "text", "sections", "format", "source", "doc_id"})


class _LineError(Exception):
    """A record that cannot be loaded; the message says why without quoting the record."""


def load(data: bytes, ctx: LoadContext) -> LoadResult:
    """Parse a JSON Lines file; a bad line is reported in ``record_errors`` and the rest still load.

    Each record needs ``id``, ``title`` and either ``text`` or ``sections`` (a list of
    ``{"heading", "text", "page"}``). ``"format": "markdown"`` splits ``text`` on its Markdown headings.
    Known metadata keys (``url``, ``organisation``/``organization``, ``year``, ``doi``...) fill the
    document's metadata; other scalar keys are kept as filterable extras.

    Args:
        data: The file's bytes (UTF-8).
        ctx: Facts about the file.

    Returns:
        The documents and one ``line N: reason`` entry per rejected line.

    Raises:
        IngestError: The file is not UTF-8, is empty, or has no valid record.
    """
    text = decode_text(data)
    result = LoadResult(documents=[])
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = _record(line, ctx)
        except _LineError as exc:
            result.record_errors.append(f"line {number}: {exc}")
            continue
        first = seen.get(doc.meta.doc_id)
        if first is not None:
            message = f"duplicate id '{doc.meta.doc_id}' (first on line {first})"
            result.record_errors.append(f"line {number}: {message}")
            continue
        seen[doc.meta.doc_id] = number
        result.documents.append(doc)
    if not result.documents:
        if not result.record_errors:
            raise IngestError("no extractable text")
        raise IngestError(
            f"no valid records ({len(result.record_errors)} rejected; first: {result.record_errors[0]})"
        )
    return result


def _record(line: str, ctx: LoadContext) -> SourceDocument:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _LineError(f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise _LineError("not a JSON object")
    doc_id = record.get("id")
    if isinstance(doc_id, int) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise _LineError("missing 'id'")
    title = clean_title(record["title"]) if isinstance(record.get("title"), str) else ""
    if not title:
        raise _LineError("missing 'title'")
    sections = _sections(record, title)
    try:
        meta = meta_from_mapping(
            record, doc_id=doc_id.strip(), title=title, source=str(ctx.path), ignore=_STRUCTURE_KEYS
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(part) for part in err["loc"]) or "record"
        if field == "doc_id":
            # Users wrote "id", and the pattern in pydantic's message would mean nothing to them.
            raise _LineError(
                "invalid 'id': use up to 200 characters without spaces or backslashes, not starting with '/'"
            ) from exc
        raise _LineError(f"invalid '{field}': {err['msg']}") from exc
    return SourceDocument(meta=meta, sections=sections)


def _sections(record: dict[str, Any], title: str) -> list[Section]:
    raw_sections = record.get("sections")
    if raw_sections is not None:
        return _explicit_sections(raw_sections, title)
    text = record.get("text")
    if not isinstance(text, str):
        raise _LineError("missing 'text' (or 'sections')")
    fmt = record.get("format")
    if fmt is not None and fmt not in ("markdown", "text"):
        raise _LineError("unknown 'format' (expected 'markdown' or 'text')")
    if fmt == "markdown":
        sections = split_markdown(text, title)
    else:
        body = normalise_whitespace(text)
        sections = [Section(heading_path=(title,), text=body)] if body else []
    if not sections:
        raise _LineError("empty 'text'")
    return sections


def _explicit_sections(raw: Any, title: str) -> list[Section]:
    if not isinstance(raw, list):
        raise _LineError("'sections' must be a list of objects")
    sections: list[Section] = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise _LineError(f"section {index} is not an object")
        heading = item.get("heading")
        parts = [heading] if isinstance(heading, str) else heading if isinstance(heading, list) else []
        path = tuple(clean_title(p) for p in parts if isinstance(p, str) and clean_title(p))
        page = item.get("page")
        if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
            raise _LineError(f"section {index}: 'page' must be a positive integer")
        text = item.get("text")
        if not isinstance(text, str):
            raise _LineError(f"section {index}: missing 'text'")
        body = normalise_whitespace(text)
        if body:
            sections.append(Section(heading_path=(title, *path), text=body, page=page))
    if not sections:
        raise _LineError("all sections are empty")
    return sections
