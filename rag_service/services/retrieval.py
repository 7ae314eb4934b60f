"""Evidence retrieval: hybrid dense + BM25 search, fusion, reranking, priorities, de-duplication, threshold.

One ``search`` call does, in order:

1. add the other generic names of any drug the question names (paracetamol -> acetaminophen), when a
   synonym list is given; embed the expanded question; dense search in the vector store and BM25 search,
   both under the same filters (superseded editions left out unless asked for);
2. reciprocal rank fusion of the two rankings;
3. for the best ``rerank_depth`` fused candidates: fetch what the keyword side lacks (text, provenance,
   vector), set each one's cosine with the question, and score relevance with the reranker;
4. multiply by the source priority (document type, organisation, superseded edition) and sort;
5. collapse near-duplicate passages, drop those under the relevance threshold, cut to ``top_k``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.domain.documents import HEADING_SEPARATOR
from rag_service.domain.protocols import Embedder, LexicalIndex, Reranker, VectorHit, Vectors, VectorStore
from rag_service.domain.retrieval import Candidate, Evidence, SearchFilters, SearchMode, SearchOutcome
from rag_service.services.dedup import collapse
from rag_service.services.doc_view import DocumentView
from rag_service.services.drug_synonyms import DrugSynonyms
from rag_service.services.evidence_filter import apply_evidence
from rag_service.services.fusion import fuse
from rag_service.services.indexing import DocumentIndex
from rag_service.services.priority import apply_priority
from rag_service.settings import RetrievalSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What to search for and how; ``None`` fields take the configured defaults."""

    query: str
    top_k: int = 8
    filters: SearchFilters | None = None
    mode: SearchMode = "hybrid"
    rerank: bool = True
    min_relevance: float | None = None


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self.last) * 1000, 2)
        self.last = now

    def total(self) -> dict[str, float]:
        return self.laps | {"total": round((time.perf_counter() - self.start) * 1000, 2)}


class Retriever:
    """Finds the evidence passages for a question."""

    def __init__(
        self,
        settings: RetrievalSettings,
        embedder: Embedder,
        store: VectorStore,
        lexical: LexicalIndex,
        index: DocumentIndex,
        view: DocumentView,
        reranker: Reranker,
        synonyms: DrugSynonyms | None = None,
    ) -> None:
        self._s = settings
        self._synonyms = synonyms
        self._embedder = embedder
        self._store = store
        self._lexical = lexical
        self._index = index
        self._view = view
        self._reranker = reranker

    @property
    def reranker_name(self) -> str:
        """The configured reranker."""
        return self._reranker.name

    def search(self, req: SearchRequest) -> SearchOutcome:
        """Ranked evidence for one question; see the module docstring for the stages."""
        s = self._s
        clock = _Clock()
        # Pick up a keyword index or documents another process (an ingest) changed.
        self._index.reload_lexical()
        self._view.refresh()
        filters = req.filters or SearchFilters()
        excluded = frozenset() if filters.include_superseded else self._view.superseded
        clock.lap("refresh")

        # One expanded query for every stage: the dense and keyword searches and the reranker's coverage.
        query = self._synonyms.expand(req.query) if self._synonyms is not None else req.query
        needs_vector = req.mode != "lexical" or req.rerank
        query_vector = self._embedder.embed_query(query)[0] if needs_vector else None
        clock.lap("embed")
        dense: list[VectorHit] = []
        if req.mode != "lexical" and query_vector is not None:
            dense = self._store.query(query_vector, s.dense_candidates, filters, excluded)
        clock.lap("dense")
        lexical: list[tuple[str, float]] = []
        if req.mode != "dense":
            lexical = self._lexical.search(query, s.lexical_candidates, self._view.allowed(filters))
        clock.lap("lexical")

        fused = fuse(
            dense,
            lexical,
            rrf_k=s.rrf_k,
            dense_weight=s.dense_weight if req.mode != "lexical" else 0.0,
            lexical_weight=s.lexical_weight if req.mode != "dense" else 0.0,
        )
        pool = self._complete(fused[: max(s.rerank_depth, req.top_k)], query_vector)
        clock.lap("fetch")
        if req.rerank and pool and query_vector is not None:
            for cand, score in zip(pool, self._reranker.score(query, query_vector, pool), strict=True):
                cand.relevance = score
        elif query_vector is not None:
            for cand in pool:
                cand.relevance = max(0.0, cand.cosine or 0.0)
        clock.lap("rerank")

        apply_priority(pool, s, self._view.superseded)
        pool = apply_evidence(pool, s.evidence_prior, filters.evidence)
        if req.rerank:
            pool.sort(key=lambda c: c.final, reverse=True)
        else:  # fusion order, only reordered by source priority
            pool.sort(key=lambda c: c.fused * c.priority, reverse=True)
        pool = collapse(pool, s.duplicate_similarity)
        threshold = s.min_relevance if req.min_relevance is None else req.min_relevance
        kept = [c for c in pool if c.relevance is None or c.relevance >= threshold]
        evidence = self._evidence(kept[: req.top_k])
        clock.lap("rank")
        timings = clock.total()
        log.debug("search: %d candidates, %d kept, timings %s", len(fused), len(evidence), timings)
        return SearchOutcome(
            evidence=evidence,
            no_relevant_evidence=not evidence,
            threshold=threshold,
            dropped_below_threshold=len(pool) - len(kept),
            timings_ms=timings,
            mode=req.mode,
            reranker=self._reranker.name if req.rerank else "none",
        )

    def _complete(self, pool: list[Candidate], query_vector: Vectors | None) -> list[Candidate]:
        """Fill in text, provenance and cosine of keyword-only candidates; drop ones the store lacks."""
        missing = [c.chunk_id for c in pool if not c.text]
        fetched = {h.chunk_id: h for h in self._store.fetch(missing)} if missing else {}
        out: list[Candidate] = []
        for cand in pool:
            if not cand.text:
                hit = fetched.get(cand.chunk_id)
                if hit is None:
                    # Catalog and store disagree (an ingest in flight); never cite what is not stored.
                    continue
                cand.text, cand.metadata = hit.text, hit.metadata
                cand.doc_id = str(hit.metadata.get("doc_id", ""))
                if query_vector is not None and hit.vector is not None:
                    cand.cosine = float(np.dot(hit.vector, query_vector))
            else:
                cand.cosine = cand.dense_score
            out.append(cand)
        return out

    def _evidence(self, ranked: Sequence[Candidate]) -> list[Evidence]:
        out: list[Evidence] = []
        for cand in ranked:
            meta = self._view.meta(cand.doc_id)
            if meta is None:
                continue  # deleted since the search began
            heading = str(cand.metadata.get("heading", ""))
            page = cand.metadata.get("page")
            out.append(
                Evidence(
                    rank=len(out) + 1,
                    chunk_id=cand.chunk_id,
                    doc_id=cand.doc_id,
                    text=cand.text,
                    score=round(cand.final, 6),
                    relevance=None if cand.relevance is None else round(cand.relevance, 6),
                    scores={
                        "dense": cand.dense_score,
                        "lexical": cand.lexical_score,
                        "fused": round(cand.fused, 6),
                        "cosine": None if cand.cosine is None else round(cand.cosine, 6),
                        "priority": round(cand.priority, 4),
                    },
                    meta=meta,
                    heading_path=tuple(heading.split(HEADING_SEPARATOR)) if heading else (),
                    page=page if isinstance(page, int) else None,
                    superseded=cand.superseded,
                    duplicates=tuple(cand.duplicates),
                )
            )
        return out
