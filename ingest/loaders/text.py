"""Plain-text loader: the whole file as one section; the chunker splits it by tokens later."""

from __future__ import annotations

from ingest.loaders.base import LoadContext, LoadResult, decode_text, normalise_whitespace
from ingest.loaders.meta import clean_title, readable_stem
from rag_service.domain.documents import DocumentMeta, Section, SourceDocument
from rag_service.domain.errors import IngestError

# A longer first line is a paragraph, not a title.
_MAX_TITLE_LINE = 120


def load(data: bytes, ctx: LoadContext) -> LoadResult:
    """Parse a UTF-8 text file into one document with one section.

    Args:
        data: The file's bytes.
        ctx: Facts about the file.

    Returns:
        One document titled by its first line when that line is short, else by the file name.

    Raises:
        IngestError: The file is not UTF-8 text or holds only whitespace.
    """
    text = normalise_whitespace(decode_text(data))
    if not text:
        raise IngestError("no extractable text")
    first_line = text.split("\n", 1)[0].strip()
    title = clean_title(first_line) if len(first_line) < _MAX_TITLE_LINE else readable_stem(ctx.path)
    meta = DocumentMeta(doc_id=ctx.default_doc_id, title=title, source=str(ctx.path))
    section = Section(heading_path=(title,), text=text)
    return LoadResult(documents=[SourceDocument(meta=meta, sections=[section])])
