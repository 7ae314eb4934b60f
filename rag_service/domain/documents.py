"""Our own types for documents and passages: what ingestion produces and every citation points back to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

DocType = Literal["protocol", "guideline", "drug_label", "literature", "patient_info", "other"]
DOC_TYPES: tuple[str, ...] = get_args(DocType)
MetaValue = str | int | float | bool

HEADING_SEPARATOR = " > "
# Version of the text the encoder reads for a passage (title and heading path, then the passage: see
# ``ingest.chunking.embedding_text``). It is part of the collection name, so changing that text starts a new
# index instead of mixing vectors of two layouts in one.
EMBEDDED_TEXT_LAYOUT = "t1"
# Ids appear in URLs (/v1/documents/{id}) and file names: no slashes, spaces or leading punctuation.
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@+-]*$"


class DocumentMeta(BaseModel):
    """Provenance of one document. Every passage and every citation carries it."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(min_length=1, max_length=200, pattern=DOC_ID_PATTERN)
    title: str = Field(min_length=1, max_length=1000)
    source: str = Field(description="Path or URL of the file the document came from.")
    url: str | None = None
    organisation: str | None = Field(default=None, description="Issuing body of a guideline or label.")
    journal: str | None = None
    year: int | None = Field(default=None, ge=1800, le=2200)
    version: str | None = Field(default=None, description="Version or date of this edition, e.g. '2024-03'.")
    series_id: str | None = Field(
        default=None,
        description="Identifies all editions of one guideline, so newer ones can supersede older.",
    )
    doc_type: DocType = "other"
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    language: str | None = None
    extra: dict[str, MetaValue] = Field(default_factory=dict, description="Free metadata, filterable.")

    def digest(self) -> str:
        """Hash of the metadata, part of every chunk id so a metadata edit rewrites the passages."""
        dumped = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(dumped.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Section:
    """A structural unit of a source: a heading's body, a page, an abstract section."""

    heading_path: tuple[str, ...]
    text: str
    page: int | None = None


@dataclass(slots=True)
class SourceDocument:
    """A parsed document before chunking."""

    meta: DocumentMeta
    sections: list[Section] = field(default_factory=list)

    def content_hash(self) -> str:
        """Hash of text, structure and metadata: equal hashes mean nothing to re-index."""
        h = hashlib.sha256(self.meta.digest().encode())
        for s in self.sections:
            h.update(b"\x1e")
            h.update(HEADING_SEPARATOR.join(s.heading_path).encode())
            h.update(b"\x1f")
            h.update(str(s.page).encode())
            h.update(b"\x1f")
            h.update(s.text.encode())
        return h.hexdigest()

    def char_count(self) -> int:
        """Characters of text in all sections."""
        return sum(len(s.text) for s in self.sections)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage: the unit that is embedded, retrieved and cited."""

    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    heading_path: tuple[str, ...]
    page: int | None

    @property
    def heading(self) -> str:
        """The heading path as one readable string, e.g. 'Sepsis > Initial resuscitation > Fluids'."""
        return HEADING_SEPARATOR.join(self.heading_path)


@dataclass(slots=True)
class ChunkedDocument:
    """A document with its passages, ready to be embedded and written."""

    meta: DocumentMeta
    content_hash: str
    chunks: list[Chunk]
