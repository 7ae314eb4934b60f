"""What every loader receives and returns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rag_service.domain.documents import SourceDocument
from rag_service.domain.errors import IngestError


@dataclass(frozen=True, slots=True)
class LoadContext:
    """Facts about the file being loaded, and the limits its loader enforces."""

    path: Path
    default_doc_id: str
    max_xml_depth: int = 200
    max_pdf_pages: int = 2000


@dataclass(slots=True)
class LoadResult:
    """Documents parsed from one file, and problems with parts of it that did not stop the rest.

    A multi-record file (JSONL, a PubMed article set) reports a bad record in ``record_errors`` and keeps the
    good ones; a problem with the file as a whole is raised as :class:`IngestError` instead.
    """

    documents: list[SourceDocument]
    record_errors: list[str] = field(default_factory=list)


class Loader(Protocol):
    """Parses one file's bytes into documents."""

    def __call__(self, data: bytes, ctx: LoadContext) -> LoadResult: ...


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def decode_text(data: bytes) -> str:
    """Decode text as UTF-8 (or UTF-16 with a byte-order mark), refusing binary or undecodable input.

    No guessing of legacy encodings: a wrong guess silently corrupts doses and units, so we ask for UTF-8.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(f"undecodable UTF-16 text at byte {exc.start}") from exc
    if b"\x00" in data[:8192]:
        raise IngestError("binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); convert the file to UTF-8"
        ) from exc
    return _CONTROL.sub(" ", text)


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces and blank lines while keeping paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
