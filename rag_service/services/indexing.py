"""Keeps the catalog, the vector store and the lexical index in step for every write and delete.

Write protocol for a batch of documents, chosen so an interruption at any point leaves nothing half-done
that a re-run cannot finish:

1. the catalog marks each document ``pending`` and records its new passage ids (old ones stay listed);
2. vectors of the new passages are upserted (ids are content-derived, so a repeat is harmless);
3. passages no longer part of the document are deleted from the vector store;
4. the catalog drops the old passage rows and marks the document ``complete``, in one transaction.

Only ``complete`` documents are listed, indexed for BM25 or treated as unchanged by a later ingest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.domain.documents import Chunk, ChunkedDocument
from rag_service.domain.protocols import (
    DocumentCatalog,
    LexicalIndex,
    SentenceVectorCache,
    Vectors,
    VectorStore,
)

log = logging.getLogger(__name__)

EmbedFn = Callable[[Sequence[str]], Vectors]


@dataclass(slots=True)
class PreparedBatch:
    """Documents to write with the vectors of the passages the store does not hold yet."""

    docs: list[ChunkedDocument]
    file_paths: list[str | None]
    new_chunks: list[list[Chunk]]
    vectors: Vectors

    @property
    def new_chunk_count(self) -> int:
        """Passages that get a new vector."""
        return sum(len(c) for c in self.new_chunks)


class DocumentIndex:
    """The single way documents enter or leave the index."""

    def __init__(
        self,
        catalog: DocumentCatalog,
        store: VectorStore,
        lexical: LexicalIndex,
        sentence_cache: SentenceVectorCache | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.lexical = lexical
        self.sentence_cache = sentence_cache

    def needs_vectors(self, doc: ChunkedDocument) -> list[Chunk]:
        """Passages of a document whose vectors are not stored yet; unchanged passages keep theirs."""
        known = self.catalog.chunk_ids(doc.meta.doc_id)
        if not known:
            return list(doc.chunks)
        candidates = [c.chunk_id for c in doc.chunks if c.chunk_id in known]
        stored = self.store.existing(candidates) if candidates else set()
        return [c for c in doc.chunks if c.chunk_id not in stored]

    def prepare(
        self,
        docs: list[ChunkedDocument],
        file_paths: list[str | None],
        embed: EmbedFn,
        text_of: Callable[[ChunkedDocument, Chunk], str],
    ) -> PreparedBatch:
        """Find which passages need vectors and embed them (the expensive part, done before writing)."""
        new_chunks = [self.needs_vectors(d) for d in docs]
        texts = [text_of(d, c) for d, chunks in zip(docs, new_chunks, strict=True) for c in chunks]
        vectors = embed(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        return PreparedBatch(docs=docs, file_paths=file_paths, new_chunks=new_chunks, vectors=vectors)

    def commit(self, batch: PreparedBatch) -> None:
        """Write a prepared batch following the four-step protocol above."""
        if not batch.docs:
            return
        self.catalog.begin_documents(batch.docs, batch.file_paths)
        if batch.new_chunk_count:
            pairs = [(d.meta, c) for d, c in zip(batch.docs, batch.new_chunks, strict=True) if c]
            self.store.upsert(pairs, batch.vectors)
        stale: list[str] = []
        for doc in batch.docs:
            keep = {c.chunk_id for c in doc.chunks}
            stale.extend(cid for cid in self.catalog.chunk_ids(doc.meta.doc_id) if cid not in keep)
        if stale:
            self.store.delete(stale)
        self.catalog.complete_documents(batch.docs, batch.file_paths)

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove documents from both indexes; returns how many passages were removed."""
        ids = [d for d in doc_ids if self.catalog.document(d) is not None]
        if not ids:
            return 0
        self.catalog.begin_delete(ids)
        chunk_ids = [cid for d in ids for cid in self.catalog.chunk_ids(d)]
        self.store.delete(chunk_ids)
        self.catalog.finish_delete(ids)
        if self.sentence_cache is not None:
            self.sentence_cache.forget(ids)
        return len(chunk_ids)

    def lexical_is_current(self) -> bool:
        """True when the BM25 index in memory was built from the catalog as it is now."""
        return self.lexical.loaded_version() == self.catalog.lexical_version()

    def lexical_status(self) -> LexicalStatus:
        """Whether the persisted BM25 index was built from the catalog as it is now, and if not, how far off.

        Every write bumps the catalog's version before the BM25 index is rebuilt, so a crash or ``kill`` in
        between leaves an index older than the catalog (and the vector store); this is how it is found.
        """
        return LexicalStatus(
            catalog_version=self.catalog.lexical_version(),
            catalog_count=self.catalog.chunk_count(),
            built_version=self.lexical.version(),
            built_count=self.lexical.built_count(),
        )

    def refresh_lexical(self) -> bool:
        """Rebuild the BM25 index if the catalog changed since it was built (or it cannot be read); True when
        it rebuilt.

        Only a writer (holding the writer lock) calls this; readers call :meth:`reload_lexical`.
        """
        version = self.catalog.lexical_version()
        if self.lexical.version() == version:
            if self.lexical.loaded_version() != version:
                self.lexical.load()
            if self.lexical.loaded_version() == version:
                return False
        self.rebuild_lexical()
        return True

    def rebuild_lexical(self) -> int:
        """Rebuild the BM25 index from the catalog's complete passages, whatever its state; returns how many.

        Only a writer (holding the writer lock) calls this.
        """
        version = self.catalog.lexical_version()
        count = self.lexical.rebuild(self.catalog.iter_complete_chunks(), version)
        log.info("lexical index rebuilt: %d passages (catalog version %d)", count, version)
        return count

    def reload_lexical(self) -> bool:
        """Pick up an index another process rebuilt; True when the one in memory is current afterwards.

        Cheap enough to call per request: one catalog read and, only when it changed, one small file read.
        """
        version = self.catalog.lexical_version()
        if self.lexical.loaded_version() != version and self.lexical.version() == version:
            self.lexical.load()
        return self.lexical.loaded_version() == version

    def check(self) -> IndexCheck:
        """Compare the catalog with the vector store: passages missing on either side, unfinished documents."""
        listed: set[str] = set()
        for record in self.catalog.documents():
            listed |= self.catalog.chunk_ids(record.meta.doc_id)
        stored = self.store.ids()
        return IndexCheck(
            missing_vectors=sorted(listed - stored),
            orphan_vectors=sorted(stored - listed),
            unfinished_documents=sorted(self.catalog.unfinished()),
        )


@dataclass(frozen=True, slots=True)
class IndexCheck:
    """Result of a consistency check; ``ok`` when both sides agree and nothing is half-written."""

    missing_vectors: list[str]
    orphan_vectors: list[str]
    unfinished_documents: list[str]

    @property
    def ok(self) -> bool:
        """True when the indexes agree."""
        return not (self.missing_vectors or self.orphan_vectors or self.unfinished_documents)


@dataclass(frozen=True, slots=True)
class LexicalStatus:
    """The persisted BM25 index against the catalog it should have been built from."""

    catalog_version: int
    catalog_count: int
    built_version: int | None
    built_count: int | None

    @property
    def current(self) -> bool:
        """True when the index on disk matches the catalog."""
        return self.built_version == self.catalog_version

    def describe(self) -> str:
        """``ok``, or ``stale (...)`` saying what the index was built from and what the catalog holds."""
        if self.current:
            return "ok"
        if self.built_version is None:
            built = "missing or unreadable"
        else:
            built = f"built from {self.built_count} passages at catalog version {self.built_version}"
        return f"stale ({built}; the catalog has {self.catalog_count} passages at version {self.catalog_version})"
