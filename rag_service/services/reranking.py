"""Rerankers that need no model beyond the bundled bi-encoder (the composition root chooses one).

No cross-encoder can be assumed on a fresh machine, so the default ``features`` reranker combines signals
we already have, each in [0, 1] and comparable across questions (which is what makes one relevance
threshold meaningful):

* the bi-encoder cosine between question and passage (passage embedded with its title and headings);
* IDF-weighted coverage of the question's terms by the passage (title and headings included);
* optionally (``sentence_weight``, off by default) the same coverage by the passage's best single sentence,
  rewarding passages where the question's terms occur together rather than scattered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag_service.domain.protocols import Embedder, LexicalIndex, TextAnalyzer, Vectors
from rag_service.domain.retrieval import Candidate
from rag_service.domain.text import split_sentences
from rag_service.settings import RetrievalSettings


def keyword_text(cand: Candidate) -> str:
    """What keyword coverage is computed on: title, heading path and passage, as the BM25 index sees it."""
    return "\n".join([str(cand.metadata.get("title", "")), str(cand.metadata.get("heading", "")), cand.text])


class CosineReranker:
    """No reranking model: relevance is the bi-encoder cosine alone."""

    name = "none"

    def warm_up(self) -> None:
        """Nothing to load."""

    def score(self, query: str, query_vector: Vectors, candidates: Sequence[Candidate]) -> list[float]:
        return [max(0.0, c.cosine or 0.0) for c in candidates]


class FeatureReranker:
    """Cosine plus IDF-weighted term coverage of the passage and of its best sentence."""

    name = "features"

    def __init__(self, settings: RetrievalSettings, lexical: LexicalIndex, analyzer: TextAnalyzer) -> None:
        total = settings.cosine_weight + settings.coverage_weight + settings.sentence_weight
        if total <= 0:
            raise ValueError("the feature weights of the reranker cannot all be 0")
        self._w = (
            settings.cosine_weight / total,
            settings.coverage_weight / total,
            settings.sentence_weight / total,
        )
        self._lexical = lexical
        self._analyzer = analyzer

    def warm_up(self) -> None:
        """Nothing to load."""

    def score(self, query: str, query_vector: Vectors, candidates: Sequence[Candidate]) -> list[float]:
        terms = list(dict.fromkeys(self._lexical.analyze(query)))
        cosines = [max(0.0, c.cosine or 0.0) for c in candidates]
        if not terms:
            return cosines  # nothing but stop words: meaning is all we can compare
        idf = self._lexical.idf(terms)
        total = sum(idf.values())
        w_cos, w_cov, w_sent = self._w
        # Best-sentence coverage costs a sentence split and analysis of every candidate: only when weighted.
        sentences = (
            [split_sentences(c.text) or [c.text] for c in candidates] if w_sent else [[] for _ in candidates]
        )
        flat = [keyword_text(c) for c in candidates] + [s for group in sentences for s in group]
        analyzed = self._analyzer.analyze_texts(flat)
        passage_terms, sentence_terms = analyzed[: len(candidates)], iter(analyzed[len(candidates) :])
        scores: list[float] = []
        for cos, words, group in zip(cosines, passage_terms, sentences, strict=True):
            coverage = _coverage(idf, set(words)) / total
            best = max((_coverage(idf, set(next(sentence_terms))) for _ in group), default=0.0) / total
            scores.append(w_cos * cos + w_cov * coverage + w_sent * best)
        return scores


def _coverage(idf: dict[str, float], present: set[str]) -> float:
    return sum(v for t, v in idf.items() if t in present)


class SentenceReranker:
    """The feature score averaged with the bi-encoder's best question-to-sentence match.

    Embeds every sentence of every candidate at query time, so it costs one encoder pass over the candidates'
    sentences: better suited to a GPU or a small ``rerank_depth``.
    """

    name = "sentence"

    def __init__(self, features: FeatureReranker, embedder: Embedder) -> None:
        self._features = features
        self._embedder = embedder

    def warm_up(self) -> None:
        """The embedder is warmed up by the service."""

    def score(self, query: str, query_vector: Vectors, candidates: Sequence[Candidate]) -> list[float]:
        base = self._features.score(query, query_vector, candidates)
        groups = [split_sentences(c.text) or [c.text] for c in candidates]
        flat = [s for g in groups for s in g]
        if not flat:
            return base
        sims = self._embedder.embed_documents(flat) @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        out: list[float] = []
        pos = 0
        for b, group in zip(base, groups, strict=True):
            best = float(np.max(sims[pos : pos + len(group)]))
            pos += len(group)
            out.append(0.5 * b + 0.5 * max(0.0, best))
        return out
