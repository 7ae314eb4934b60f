"""Interpretable features of (claim, cited passages) pairs, the input of the calibrated support model.

Each feature is a number a reviewer can read: how close the claim is in meaning to its best evidence
sentences and to the passages (bi-encoder cosine), how much of its wording and of its names the evidence
covers, whether its numbers and units are there, and whether its clauses agree in polarity with the
evidence clauses they rest on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rag_service.domain.protocols import Embedder, TextAnalyzer
from rag_service.domain.text import split_sentences
from rag_service.services.claim_text import (
    asks,
    clauses,
    hedged,
    missing_coded_names,
    missing_quantities,
    negative,
)
from rag_service.services.sentence_vectors import SentenceVectors

FEATURES = (
    "cos_best",
    "cos_top3",
    "cos_passage",
    "cov_best",
    "cov_top2",
    "cov_all",
    "cov_weakest_clause",
    "names_missing",
    "polarity_mismatch",
    "hedged",
)
TOP_SENTENCES = 3
# Verbs that carry tense or negation, not content: two clauses do not match because both say "did".
_AUXILIARIES = frozenset(
    {"did", "does", "do", "was", "were", "is", "are", "be", "been", "has", "have", "had"}
    | {"may", "might", "can", "could", "should", "would", "will", "vs"}
)
MIN_ALIGNMENT = 0.3
# A clause that restates most of an evidence clause's content with the opposite polarity is vetoed outright.
STRONG_ALIGNMENT = 0.7


@dataclass(frozen=True, slots=True)
class ClaimFeatures:
    """The features of one claim, its best evidence sentence and the hard-check findings behind them."""

    values: tuple[float, ...]
    best_sentence: str | None
    missing_numbers: tuple[str, ...]
    missing_local: tuple[str, ...]
    flipped_clause: str | None
    flipped_alignment: float = 0.0

    @property
    def vetoed(self) -> bool:
        """A hard check fails: a number not in the evidence, or a restated clause with its polarity flipped."""
        return bool(self.missing_local) or self.flipped_alignment >= STRONG_ALIGNMENT


def _coverage(claim: set[str], evidence: set[str]) -> float:
    return len(claim & evidence) / len(claim) if claim else 0.0


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _names(text: str) -> set[str]:
    """Name-like words: acronyms and capitalised words inside the sentence (drugs, genes, scales)."""
    words = text.split()
    out: set[str] = set()
    for i, word in enumerate(words):
        w = word.strip(".,;:()[]\"'")
        if len(w) > 1 and (sum(c.isupper() for c in w) >= 2 or (i > 0 and w[:1].isupper())):
            out.add(w.lower())
    return out


class FeatureExtractor:
    """Computes :data:`FEATURES` for batches of claims against their cited passages."""

    def __init__(
        self, embedder: Embedder | None, analyzer: TextAnalyzer, sentences: SentenceVectors | None = None
    ) -> None:
        self._embedder = embedder
        self._analyzer = analyzer
        # Evidence vectors come from the ingest-time cache where there is one; claims are always encoded.
        self._vectors = sentences or (SentenceVectors(embedder, None) if embedder is not None else None)

    def extract(self, claims: Sequence[tuple[str, Sequence[str]]]) -> list[ClaimFeatures]:
        """Features of each (claim text without markers, cited passages) pair; every claim needs a passage."""
        sentences_of = [self._sentences(passages) for _, passages in claims]
        cos_s, cos_p = self._cosines(claims, sentences_of)
        texts = [c for c, _ in claims]
        clauses_of = [clauses(t) or [t] for t in texts]
        term_inputs = (
            texts + [c for cs in clauses_of for c in cs] + [s for sents in sentences_of for s in sents]
        )
        terms = [set(t) for t in self._analyzer.analyze_texts(term_inputs)] if term_inputs else []
        claim_terms, rest = terms[: len(texts)], iter(terms[len(texts) :])
        clause_terms = [[next(rest) for _ in cs] for cs in clauses_of]
        out: list[ClaimFeatures] = []
        for i, (text, passages) in enumerate(claims):
            sent_terms = [next(rest) for _ in sentences_of[i]]
            out.append(
                self._one(
                    text,
                    passages,
                    sentences_of[i],
                    (claim_terms[i], clause_terms[i]),
                    sent_terms,
                    cos_s[i],
                    cos_p[i],
                )
            )
        return out

    def _one(
        self,
        text: str,
        passages: Sequence[str],
        sentences: list[str],
        claim_terms: tuple[set[str], list[set[str]]],
        sent_terms: list[set[str]],
        cos_s: npt.NDArray[np.float32],
        cos_p: npt.NDArray[np.float32],
    ) -> ClaimFeatures:
        terms, clause_terms = claim_terms
        coverages = np.asarray([_coverage(terms, t) for t in sent_terms], dtype=np.float32)
        # Sentences are ranked by meaning and wording together; the claim "rests on" the top few.
        rank = np.argsort(-(cos_s + coverages), kind="stable")
        top = [int(j) for j in rank[:TOP_SENTENCES]]
        joined = " ".join(passages)
        all_terms = set().union(*sent_terms) if sent_terms else set()
        local = " ".join(sentences[j] for j in top)
        missing = [str(q) for q in missing_quantities(text, joined)] + missing_coded_names(text, joined)
        missing_local = [str(q) for q in missing_quantities(text, local)] + missing_coded_names(text, local)
        weakest = min((_coverage(t, all_terms) for t in clause_terms if len(t) >= 2), default=1.0)
        names = _names(text)
        lower = joined.lower()
        names_missing = sum(1 for n in names if n not in lower) / len(names) if names else 0.0
        flipped, alignment = self._polarity(text, [s for s in sentences if not asks(s)])
        cos_sorted = np.sort(cos_s)[::-1]
        values = (
            float(cos_sorted[0]) if len(cos_sorted) else 0.0,
            float(cos_sorted[:TOP_SENTENCES].mean()) if len(cos_sorted) else 0.0,
            float(cos_p.max()) if len(cos_p) else 0.0,
            float(coverages[top[0]]) if top else 0.0,
            _coverage(terms, set().union(*(sent_terms[j] for j in top[:2]))) if top else 0.0,
            _coverage(terms, all_terms),
            weakest,
            names_missing,
            float(flipped is not None),
            float(hedged(text)),
        )
        return ClaimFeatures(
            values,
            sentences[top[0]] if top else None,
            tuple(missing),
            tuple(missing_local),
            flipped,
            alignment,
        )

    def _polarity(self, text: str, evidence: list[str]) -> tuple[str | None, float]:
        """A claim clause whose polarity differs from the evidence clause it matches best, and how well it matches.

        Evidence sentences that ask or state an aim ("We investigated whether ...") assert nothing and are
        left out by the caller.
        """
        claim_clauses = clauses(text) or [text]
        ev_clauses = [c for s in evidence for c in (clauses(s) or [s])]
        if not ev_clauses:
            return None, 0.0
        analyzed = self._analyzer.analyze_texts(claim_clauses + ev_clauses)
        c_terms = [set(t) - _AUXILIARIES for t in analyzed[: len(claim_clauses)]]
        e_terms = [set(t) - _AUXILIARIES for t in analyzed[len(claim_clauses) :]]
        flipped: str | None = None
        alignment = 0.0
        for clause, ct in zip(claim_clauses, c_terms, strict=True):
            if len(ct) < 2:
                continue
            overlaps = [_coverage(ct, et) for et in e_terms]
            # Ties go to the tighter clause (higher Jaccard): the one about this claim, not a long
            # sentence that merely shares the topic words.
            j = max(range(len(e_terms)), key=lambda k: (overlaps[k], _jaccard(ct, e_terms[k])))
            if overlaps[j] < MIN_ALIGNMENT:
                continue
            if negative(clause) != negative(ev_clauses[j]) and overlaps[j] > alignment:
                flipped, alignment = clause, overlaps[j]
        return flipped, alignment

    @staticmethod
    def _sentences(passages: Sequence[str]) -> list[str]:
        return [s for p in passages for s in (split_sentences(p) or [p])]

    def _cosines(
        self, claims: Sequence[tuple[str, Sequence[str]]], sentences_of: list[list[str]]
    ) -> tuple[list[npt.NDArray[np.float32]], list[npt.NDArray[np.float32]]]:
        """Cosine of each claim with each of its evidence sentences and with each cited passage."""
        if self._embedder is None:
            return (
                [np.zeros(len(s), dtype=np.float32) for s in sentences_of],
                [np.zeros(len(p), dtype=np.float32) for _, p in claims],
            )
        claim_texts = list(dict.fromkeys(c for c, _ in claims))
        evidence = list(
            dict.fromkeys([s for ss in sentences_of for s in ss] + [p for _, ps in claims for p in ps])
        )
        assert self._vectors is not None  # set whenever there is an embedder
        parts = [self._embedder.embed_documents(claim_texts)] if claim_texts else []
        parts += [self._vectors.embed(evidence)] if evidence else []
        vectors = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)
        # A text that is both a claim and evidence (a quote) keeps its claim vector: the same text, same vector.
        index = {t: i for i, t in enumerate(claim_texts)}
        for j, t in enumerate(evidence):
            index.setdefault(t, len(claim_texts) + j)
        sent_cos: list[npt.NDArray[np.float32]] = []
        pass_cos: list[npt.NDArray[np.float32]] = []
        for (claim, passages), sentences in zip(claims, sentences_of, strict=True):
            c = vectors[index[claim]]
            sent_cos.append(np.asarray([vectors[index[s]] @ c for s in sentences], dtype=np.float32))
            pass_cos.append(np.asarray([vectors[index[p]] @ c for p in passages], dtype=np.float32))
        return sent_cos, pass_cos
