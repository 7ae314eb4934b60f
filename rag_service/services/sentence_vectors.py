"""Vectors of evidence text, computed once: read from the cache when known, encoded (and cached) when not.

The extractive answerer compares the question with every sentence of the evidence, and the support scorer
compares each claim with every sentence and passage it cites. Those texts are known at ingest, so their
vectors are computed there (:meth:`SentenceVectors.precompute`, the same sentence splits the answerer and the
scorer make) and an answer only encodes the question and its own sentences. Text not seen at ingest (an index
built before this existed, another chunking of the same passage) is encoded on first use and kept.

Only evidence text goes through here: questions and answer sentences are never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

from rag_service.domain.protocols import Embedder, SentenceVectorCache, Vectors
from rag_service.domain.text import split_sentences
from rag_service.services.answer_text import is_markdown, passage_lines, passage_text

BATCH = 256


def text_key(model_id: str, text: str) -> str:
    """The cache key of ``text`` encoded by ``model_id``."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


def evidence_texts(text: str, source: str) -> list[str]:
    """Every text of a stored passage that answering encodes: the passage and its sentences as the support
    scorer reads them, and the sentences the extractive answerer quotes."""
    markdown = is_markdown(source)
    plain = passage_text(text, markdown)
    out = [plain, *(split_sentences(plain) or [plain])]
    out += [" ".join(s.split()) for line in passage_lines(text, markdown) for s in split_sentences(line.text)]
    return [t for t in dict.fromkeys(out) if t.strip()]


class SentenceVectors:
    """The encoder behind a cache of evidence-text vectors (no cache: the encoder alone)."""

    def __init__(self, embedder: Embedder, cache: SentenceVectorCache | None) -> None:
        self._embedder = embedder
        self._cache = cache

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, as :meth:`Embedder.embed_documents` would give; only unknown texts are encoded."""
        if self._cache is None or not texts:
            return self._embedder.embed_documents(texts)
        model = self._embedder.model_id
        keys = [text_key(model, t) for t in texts]
        found = self._cache.get_many(keys)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            fresh = self._embedder.embed_documents(missing)
            items = [(text_key(model, t), fresh[i]) for i, t in enumerate(missing)]
            self._cache.put_many(items)
            found.update(items)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def precompute(self, passages: Iterable[tuple[str, str, str]]) -> int:
        """Encode and store the evidence texts of (document id, source, passage text) not cached yet; returns
        how many texts were encoded."""
        if self._cache is None:
            return 0
        model = self._embedder.model_id
        encoded = 0
        pending: dict[str, list[tuple[str, str]]] = {}
        size = 0
        for doc_id, source, text in passages:
            texts = evidence_texts(text, source)
            pending.setdefault(doc_id, []).extend((text_key(model, t), t) for t in texts)
            size += len(texts)
            if size >= BATCH:
                encoded += self._flush(pending)
                pending, size = {}, 0
        return encoded + self._flush(pending)

    def _flush(self, pending: dict[str, list[tuple[str, str]]]) -> int:
        assert self._cache is not None
        keys = [k for items in pending.values() for k, _ in items]
        found = self._cache.get_many(keys)
        todo = list(dict.fromkeys(t for items in pending.values() for k, t in items if k not in found))
        vectors = dict(found)
        if todo:
            fresh = self._embedder.embed_documents(todo)
            vectors.update((text_key(self._embedder.model_id, t), fresh[i]) for i, t in enumerate(todo))
        for doc_id, items in pending.items():
            self._cache.put_many([(k, vectors[k]) for k, _ in dict.fromkeys(items)], doc_id=doc_id)
        return len(todo)
