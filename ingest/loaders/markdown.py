"""Markdown loader: optional YAML front matter for metadata, sections from the document's own headings."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from pydantic import ValidationError

from ingest.loaders.base import LoadContext, LoadResult, decode_text, normalise_whitespace
from ingest.loaders.meta import clean_title, meta_from_mapping, readable_stem
from rag_service.domain.documents import Section, SourceDocument
from rag_service.domain.errors import IngestError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)^---[ \t]*$\n?", re.DOTALL | re.MULTILINE)
_HEADER_KEYS = ("h1", "h2", "h3", "h4", "h5", "h6")
_CLOSING_HASHES = re.compile(r"\s+#+\s*$")


def load(data: bytes, ctx: LoadContext) -> LoadResult:
    """Parse a Markdown file into one document with a section per heading.

    Args:
        data: The file's bytes (UTF-8).
        ctx: Facts about the file.

    Returns:
        One document.

    Raises:
        IngestError: The file is not UTF-8, its front matter is invalid, or it holds no text.
    """
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    front, body = split_front_matter(text)
    pieces = _split(body)
    title_text = front.get("title")
    if isinstance(title_text, str | int | float) and clean_title(str(title_text)):
        title = clean_title(str(title_text))
    else:
        first_h1 = next((p.metadata["h1"] for p in pieces if "h1" in p.metadata), None)
        title = clean_title(_clean_heading(first_h1)) if first_h1 else ""
        title = title or readable_stem(ctx.path)
    sections = _sections(pieces, title)
    if not sections:
        raise IngestError("no extractable text")
    try:
        meta = meta_from_mapping(front, doc_id=ctx.default_doc_id, title=title, source=str(ctx.path))
    except ValidationError as exc:
        raise IngestError(f"invalid front matter: {_first_error(exc)}") from exc
    return LoadResult(documents=[SourceDocument(meta=meta, sections=sections)])


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Separate a leading ``---`` YAML block from the Markdown body.

    Args:
        text: The whole file.

    Returns:
        The front matter as a mapping (empty when there is none) and the rest of the text.

    Raises:
        IngestError: The block is not valid YAML or not a mapping of keys to values.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        loaded = yaml.safe_load(match.group("body"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # The mark counts from 0 inside the block; +2 turns it into a 1-based line of the file (after ---).
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise IngestError(f"invalid YAML front matter{where}") from exc
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise IngestError("front matter must be a mapping of keys to values")
    # YAML turns 2024-03-01 into a date; metadata wants the text the author wrote.
    front = {str(k): v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in loaded.items()}
    return front, text[match.end() :]


def split_markdown(text: str, title: str) -> list[Section]:
    """Split Markdown into sections keyed by the chain of headings above each piece of text.

    Text outside any level-1 heading (a preamble, or a document that starts at ``##``) is put under ``title``
    so every section says which document it belongs to.

    Args:
        text: Markdown without front matter.
        title: The document's title.

    Returns:
        Non-empty sections in document order.
    """
    return _sections(_split(text), title)


def _split(text: str) -> list[Any]:
    # Imported here: langchain pulls in most of langchain-core, which would slow every import of the registry.
    from langchain_text_splitters import MarkdownHeaderTextSplitter

    splitter = MarkdownHeaderTextSplitter(
        headers_to_split_on=[("#" * level, key) for level, key in enumerate(_HEADER_KEYS, start=1)],
        strip_headers=True,
    )
    return list(splitter.split_text(text))


def _sections(pieces: list[Any], title: str) -> list[Section]:
    sections: list[Section] = []
    for piece in pieces:
        metadata: dict[str, str] = piece.metadata
        chain = tuple(_clean_heading(metadata[key]) for key in _HEADER_KEYS if metadata.get(key))
        if "h1" not in metadata:
            chain = (title, *chain)
        body = normalise_whitespace(piece.page_content)
        if body:
            sections.append(Section(heading_path=chain, text=body))
    return sections


def _clean_heading(heading: str) -> str:
    # ATX headings may close with hashes ("## Dosing ##"); they are decoration, not part of the name.
    return " ".join(_CLOSING_HASHES.sub("", heading).split())


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"]) or "value"
    return f"field '{field}': {err['msg']}"
