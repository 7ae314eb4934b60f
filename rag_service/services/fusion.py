"""Reciprocal rank fusion of the dense and keyword rankings.

Written here rather than taken from LangChain's EnsembleRetriever: that one works on LangChain documents and
retrievers, while we fuse our own candidates and need each side's rank and score kept for reranking and
for the scores shown with every result.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag_service.domain.protocols import VectorHit
from rag_service.domain.retrieval import Candidate


def _candidate(hit: VectorHit) -> Candidate:
    return Candidate(
        chunk_id=hit.chunk_id,
        doc_id=str(hit.metadata.get("doc_id", "")),
        text=hit.text,
        metadata=hit.metadata,
    )


def fuse(
    dense: Sequence[VectorHit],
    lexical: Sequence[tuple[str, float]],
    *,
    rrf_k: float,
    dense_weight: float,
    lexical_weight: float,
) -> list[Candidate]:
    """Merge both rankings: ``fused = sum(weight / (rrf_k + rank))`` over the lists a passage appears in.

    Lexical-only candidates come back without text or metadata (the caller fetches them from the store).
    Ranks are 1-based; ties keep the dense order first.
    """
    merged: dict[str, Candidate] = {}
    for rank, hit in enumerate(dense, start=1):
        cand = merged.setdefault(hit.chunk_id, _candidate(hit))
        cand.dense_rank, cand.dense_score = rank, hit.score
        cand.fused += dense_weight / (rrf_k + rank)
    for rank, (chunk_id, score) in enumerate(lexical, start=1):
        cand = merged.setdefault(chunk_id, Candidate(chunk_id=chunk_id, doc_id="", text="", metadata={}))
        cand.lexical_rank, cand.lexical_score = rank, score
        cand.fused += lexical_weight / (rrf_k + rank)
    return sorted(merged.values(), key=lambda c: c.fused, reverse=True)
