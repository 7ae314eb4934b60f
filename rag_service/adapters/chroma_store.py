"""Chroma vector store: embedded ``PersistentClient`` by default, ``HttpClient`` when a host is configured."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.adapters.chroma_filters import where_clause
from rag_service.domain.documents import Chunk, DocumentMeta
from rag_service.domain.errors import IndexMismatchError, StoreUnavailableError
from rag_service.domain.protocols import VectorHit, Vectors
from rag_service.domain.retrieval import FILTERABLE_FIELDS, SearchFilters
from rag_service.settings import Settings

MetaDict = dict[str, str | int | float | bool]


def chunk_metadata(meta: DocumentMeta, chunk: Chunk) -> MetaDict:
    """Flat provenance stored with each vector, so filters and citations need no second lookup."""
    out: MetaDict = {
        "doc_id": meta.doc_id,
        "title": meta.title,
        "doc_type": meta.doc_type,
        "heading": chunk.heading,
    }
    if chunk.page is not None:
        out["page"] = chunk.page
    for key in FILTERABLE_FIELDS:
        value = getattr(meta, key)
        if value is not None:
            out[key] = value
    for key, value in meta.extra.items():
        out[f"x_{key}"] = value
    return out


class ChromaVectorStore:
    """Passages in one Chroma collection whose name and metadata pin the embedding model and chunking."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._name = settings.collection_name()
        self._client: Any = None
        self._collection: Any = None

    @property
    def collection_name(self) -> str:
        return self._name

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        store = self._settings.store
        if store.host:
            return chromadb.HttpClient(
                host=store.host, port=store.port, ssl=store.ssl, settings=chroma_settings
            )
        path = Path(self._settings.data_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)

    def open(self, identity: Mapping[str, str | int]) -> None:
        try:
            self._client = self._connect()
            # embedding_function=None: we always pass our own vectors; Chroma's default would download a model.
            collection = self._client.get_or_create_collection(
                self._name,
                embedding_function=None,
                metadata=dict(identity),
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise StoreUnavailableError(
                f"cannot open Chroma collection {self._name}: {type(exc).__name__}"
            ) from exc
        stored = collection.metadata or {}
        diff = {k: (stored.get(k), v) for k, v in identity.items() if stored.get(k) != v}
        if diff:
            details = ", ".join(
                f"{k}: collection has {a!r}, settings ask for {b!r}" for k, (a, b) in diff.items()
            )
            raise IndexMismatchError(f"collection {self._name} was built differently ({details})")
        self._collection = collection

    def _coll(self) -> Any:
        if self._collection is None:
            raise StoreUnavailableError("the vector store is not open")
        return self._collection

    def ping(self) -> bool:
        try:
            self._client.heartbeat()
            self._coll().count()
        except Exception:
            return False
        return True

    def upsert(self, docs: Sequence[tuple[DocumentMeta, Sequence[Chunk]]], vectors: Vectors) -> None:
        ids: list[str] = []
        texts: list[str] = []
        metas: list[MetaDict] = []
        for meta, chunks in docs:
            for chunk in chunks:
                ids.append(chunk.chunk_id)
                texts.append(chunk.text)
                metas.append(chunk_metadata(meta, chunk))
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} passages but {len(vectors)} vectors")
        step = self._settings.store.write_batch
        for start in range(0, len(ids), step):
            end = start + step
            self._call(
                "upsert",
                ids=ids[start:end],
                embeddings=np.ascontiguousarray(vectors[start:end]),
                documents=texts[start:end],
                metadatas=metas[start:end],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        ids = list(chunk_ids)
        step = self._settings.store.write_batch
        for start in range(0, len(ids), step):
            self._call("delete", ids=ids[start : start + step])

    def count(self) -> int:
        return int(self._call("count"))

    def ids(self) -> set[str]:
        """Every stored passage id (for consistency checks)."""
        found: set[str] = set()
        step = self._settings.store.write_batch
        offset = 0
        while True:
            got = self._call("get", include=[], limit=step, offset=offset)
            found.update(got["ids"])
            if len(got["ids"]) < step:
                return found
            offset += step

    def existing(self, chunk_ids: Sequence[str]) -> set[str]:
        """Which of the given ids are stored."""
        found: set[str] = set()
        ids = list(chunk_ids)
        step = self._settings.store.write_batch
        for start in range(0, len(ids), step):
            got = self._call("get", ids=ids[start : start + step], include=[])
            found.update(got["ids"])
        return found

    def query(
        self,
        vector: Vectors,
        k: int,
        filters: SearchFilters | None = None,
        excluded: Collection[str] = (),
    ) -> list[VectorHit]:
        where = where_clause(filters, excluded)
        res = self._call(
            "query",
            query_embeddings=np.atleast_2d(vector),
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        hits: list[VectorHit] = []
        for cid, dist, text, meta in zip(
            res["ids"][0], res["distances"][0], res["documents"][0], res["metadatas"][0], strict=True
        ):
            hits.append(
                VectorHit(chunk_id=cid, score=1.0 - float(dist), text=text or "", metadata=dict(meta or {}))
            )
        return hits

    def fetch(self, chunk_ids: Sequence[str]) -> list[VectorHit]:
        if not chunk_ids:
            return []
        got = self._call("get", ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"])
        return [
            VectorHit(
                chunk_id=cid,
                score=0.0,
                text=text or "",
                metadata=dict(meta or {}),
                vector=np.asarray(vec, dtype=np.float32),
            )
            for cid, text, meta, vec in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
        ]

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._coll(), method)(**kwargs)
        except StoreUnavailableError:
            raise
        except Exception as exc:
            # Connection errors from the HTTP client and Rust-side errors both land here.
            raise StoreUnavailableError(f"Chroma {method} failed: {type(exc).__name__}: {exc}"[:300]) from exc
