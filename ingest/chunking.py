"""Structure-aware chunking: a document's own sections first, then token-length windows with overlap."""

from __future__ import annotations

import hashlib
from collections import Counter

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag_service.domain.documents import HEADING_SEPARATOR, Chunk, ChunkedDocument, SourceDocument
from rag_service.domain.protocols import TokenCounter
from rag_service.settings import ChunkingSettings

# Paragraphs, then lines, then sentences, then clauses, before falling back to words.
_SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


def chunk_id(doc_digest: str, doc_id: str, heading: str, page: int | None, text: str, occurrence: int) -> str:
    """Content-derived passage id: the same passage of the same document always gets the same id."""
    key = "\x1f".join([doc_id, doc_digest, heading, str(page), str(occurrence), text])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class Chunker:
    """Cuts documents into passages that fit the embedding model, keeping heading path and page."""

    def __init__(self, settings: ChunkingSettings, tokens: TokenCounter) -> None:
        self._settings = settings
        self._tokens = tokens
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=settings.chunk_tokens,
            chunk_overlap=settings.overlap_tokens,
            length_function=tokens.count,
            separators=_SEPARATORS,
            keep_separator="end",
            strip_whitespace=True,
        )

    def split_text(self, text: str) -> list[str]:
        """Windows of at most ``chunk_tokens`` tokens; a short text stays whole."""
        text = text.strip()
        if not text:
            return []
        # Cheap bound first: a word-piece is at least one character, most are several.
        if (
            len(text) <= self._settings.chunk_tokens
            or self._tokens.count(text) <= self._settings.chunk_tokens
        ):
            return [text]
        return [piece for piece in self._splitter.split_text(text) if piece.strip()]

    def chunk(self, doc: SourceDocument) -> ChunkedDocument:
        """Chunk one document; every passage carries the document id, heading path and page."""
        digest = doc.meta.digest()
        seen: Counter[tuple[str, int | None, str]] = Counter()
        chunks: list[Chunk] = []
        for section in doc.sections:
            heading = HEADING_SEPARATOR.join(section.heading_path)
            for piece in self.split_text(section.text):
                key = (heading, section.page, piece)
                occurrence = seen[key]
                seen[key] += 1
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id(digest, doc.meta.doc_id, heading, section.page, piece, occurrence),
                        doc_id=doc.meta.doc_id,
                        ordinal=len(chunks),
                        text=piece,
                        heading_path=section.heading_path,
                        page=section.page,
                    )
                )
        return ChunkedDocument(meta=doc.meta, content_hash=doc.content_hash(), chunks=chunks)


def embedding_text(title: str, chunk: Chunk) -> str:
    """What the encoder sees: the passage with its title and heading path as context.

    The stored and cited text stays the bare passage; only the vector gets the context, which helps short
    passages whose topic is named only in a heading.
    """
    path = [h for h in chunk.heading_path if h and h != title]
    context = HEADING_SEPARATOR.join([title, *path])
    return f"{context}\n{chunk.text}"
