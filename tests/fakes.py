"""In-memory stand-ins for the backend Protocols, for unit tests of logic.

Each one passes the same contract suite as the real adapter (tests/contracts/), so a unit test built on a
fake relies only on behaviour the real backend has too.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from eval.llm_scenarios.model import ScriptedModel
from rag_service.adapters.chroma_store import chunk_metadata
from rag_service.domain.documents import Chunk, DocumentMeta
from rag_service.domain.errors import IndexMismatchError, StoreUnavailableError
from rag_service.domain.protocols import VectorHit, Vectors
from rag_service.domain.retrieval import SearchFilters, matches

_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
    "a an and are as at be by for from in is it of on or that the to was were with".split()  # noqa: SIM905 - a word list
)


class HashingEmbedder:
    """Bag-of-words vectors by feature hashing: texts sharing words are close, without any model."""

    def __init__(self, dimension: int = 64) -> None:
        self._dim = dimension

    @property
    def model_id(self) -> str:
        return f"hashing-{self._dim}"

    @property
    def is_loaded(self) -> bool:
        return True

    def warm_up(self) -> None:
        """Nothing to load."""

    def dimension(self) -> int:
        return self._dim

    def _row(self, text: str) -> Vectors:
        row = np.zeros(self._dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            row[bucket % self._dim] += 1.0
        norm = float(np.linalg.norm(row))
        if norm == 0.0:
            row[0], norm = 1.0, 1.0
        return row / norm

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack([self._row(t) for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])


@dataclass
class MemoryCollection:
    identity: dict[str, str | int]
    rows: dict[str, tuple[Vectors, str, DocumentMeta, Chunk]] = field(default_factory=dict)


class InMemoryVectorStore:
    """A vector store in a dict; collections of the same ``registry`` persist across instances."""

    def __init__(self, name: str, registry: dict[str, MemoryCollection] | None = None) -> None:
        self._name = name
        self._registry: dict[str, MemoryCollection] = {} if registry is None else registry
        self._coll: MemoryCollection | None = None

    @property
    def collection_name(self) -> str:
        return self._name

    def open(self, identity: Mapping[str, str | int]) -> None:
        existing = self._registry.get(self._name)
        if existing is None:
            existing = self._registry[self._name] = MemoryCollection(dict(identity))
        diff = {k for k, v in identity.items() if existing.identity.get(k) != v}
        if diff:
            raise IndexMismatchError(
                f"collection {self._name} was built differently ({', '.join(sorted(diff))})"
            )
        self._coll = existing

    def _rows(self) -> dict[str, tuple[Vectors, str, DocumentMeta, Chunk]]:
        if self._coll is None:
            raise StoreUnavailableError("the vector store is not open")
        return self._coll.rows

    def ping(self) -> bool:
        return self._coll is not None

    def upsert(self, docs: Sequence[tuple[DocumentMeta, Sequence[Chunk]]], vectors: Vectors) -> None:
        pairs = [(meta, chunk) for meta, chunks in docs for chunk in chunks]
        if len(pairs) != len(vectors):
            raise ValueError(f"{len(pairs)} passages but {len(vectors)} vectors")
        rows = self._rows()
        for (meta, chunk), vector in zip(pairs, vectors, strict=True):
            rows[chunk.chunk_id] = (np.asarray(vector, dtype=np.float32), chunk.text, meta, chunk)

    def delete(self, chunk_ids: Sequence[str]) -> None:
        rows = self._rows()
        for cid in chunk_ids:
            rows.pop(cid, None)

    def ids(self) -> set[str]:
        return set(self._rows())

    def existing(self, chunk_ids: Sequence[str]) -> set[str]:
        return set(chunk_ids) & set(self._rows())

    def count(self) -> int:
        return len(self._rows())

    def query(
        self,
        vector: Vectors,
        k: int,
        filters: SearchFilters | None = None,
        excluded: Collection[str] = (),
    ) -> list[VectorHit]:
        query = np.atleast_2d(vector)[0]
        wanted = filters or SearchFilters(include_superseded=True)
        skip = frozenset(excluded)
        scored = [
            (float(np.dot(query, vec)), cid, text, meta, chunk)
            for cid, (vec, text, meta, chunk) in self._rows().items()
            if matches(meta, wanted, skip)
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [
            VectorHit(chunk_id=cid, score=score, text=text, metadata=chunk_metadata(meta, chunk))
            for score, cid, text, meta, chunk in scored[:k]
        ]

    def fetch(self, chunk_ids: Sequence[str]) -> list[VectorHit]:
        rows = self._rows()
        return [
            VectorHit(
                chunk_id=cid,
                score=0.0,
                text=rows[cid][1],
                metadata=chunk_metadata(rows[cid][2], rows[cid][3]),
                vector=rows[cid][0],
            )
            for cid in chunk_ids
            if cid in rows
        ]


@dataclass
class MemoryPostings:
    version: int
    ids: list[str]
    doc_ids: list[str]
    terms: list[Counter[str]]


class InMemoryLexicalIndex:
    """A BM25-like keyword index in memory; what it "persists" lives in ``registry`` under its name."""

    def __init__(self, name: str = "lexical", registry: dict[str, MemoryPostings] | None = None) -> None:
        self._name = name
        self._registry: dict[str, MemoryPostings] = {} if registry is None else registry
        self._loaded: MemoryPostings | None = None

    def analyze(self, text: str) -> list[str]:
        return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]

    def rebuild(self, items: Iterable[tuple[str, str, str]], version: int) -> int:
        rows = list(items)
        postings = MemoryPostings(
            version, [r[0] for r in rows], [r[1] for r in rows], [Counter(self.analyze(r[2])) for r in rows]
        )
        self._registry[self._name] = self._loaded = postings
        return len(rows)

    def version(self) -> int | None:
        stored = self._registry.get(self._name)
        return None if stored is None else stored.version

    def loaded_version(self) -> int | None:
        return None if self._loaded is None else self._loaded.version

    def built_count(self) -> int | None:
        stored = self._registry.get(self._name)
        return None if stored is None else len(stored.ids)

    def load(self) -> None:
        self._loaded = self._registry.get(self._name)

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        p = self._loaded
        n = len(p.ids) if p else 0
        out: dict[str, float] = {}
        for term in terms:
            freq = sum(1 for t in p.terms if term in t) if p else 0
            out[term] = math.log(1.0 + (n - freq + 0.5) / (freq + 0.5))
        return out

    def search(
        self, query: str, k: int, allowed_docs: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        p = self._loaded
        if p is None:
            return []
        words = list(dict.fromkeys(self.analyze(query)))
        idf = self.idf(words)
        scored = []
        for cid, doc_id, terms in zip(p.ids, p.doc_ids, p.terms, strict=True):
            if allowed_docs is not None and doc_id not in allowed_docs:
                continue
            score = sum(idf[w] * terms[w] / (terms[w] + 1.2) for w in words if terms[w])
            if score > 0:
                scored.append((cid, score))
        scored.sort(key=lambda s: (-s[1], s[0]))
        return scored[:k]


class ScriptedChat:
    """The ChatModel protocol over the scripted model of eval/llm_scenarios, without HTTP."""

    model = "scripted"

    def __init__(self, model: ScriptedModel) -> None:
        self._m = model

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        return self._m.reply([{"role": role, "content": content} for role, content in messages])
