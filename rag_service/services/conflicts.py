"""Conflicting evidence: another retrieved source says the opposite of an answer sentence.

Deliberately conservative, because abstaining on a false alarm withholds a good answer: a conflict is a
sentence from another document with largely the same content terms whose negation differs ("aspirin is
recommended ..." against "aspirin is not recommended ..."). Differing numbers are not treated as conflicts:
they differ legitimately between populations and settings far more often than sources disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag_service.domain.answers import AnswerSentence
from rag_service.domain.protocols import TextAnalyzer
from rag_service.domain.retrieval import Evidence
from rag_service.domain.text import split_sentences
from rag_service.services.claim_text import negative

SAME_CLAIM = 0.6


@dataclass(frozen=True, slots=True)
class Conflict:
    """An answer sentence and an evidence sentence of another document that contradicts it."""

    sentence: int
    evidence_number: int
    evidence_sentence: str


def find_conflict(
    sentences: Sequence[AnswerSentence], evidence: Sequence[Evidence], analyzer: TextAnalyzer
) -> Conflict | None:
    """The first contradiction between an answer sentence and a sentence of another cited-or-retrieved source."""
    pool = [(n, s) for n, ev in enumerate(evidence, start=1) for s in split_sentences(ev.text)]
    if not pool or not sentences:
        return None
    analyzed = analyzer.analyze_texts([s.text for s in sentences] + [s for _, s in pool])
    answer_terms = [set(t) for t in analyzed[: len(sentences)]]
    pool_terms = [set(t) for t in analyzed[len(sentences) :]]
    for i, sentence in enumerate(sentences):
        own_docs = {evidence[n - 1].doc_id for n in sentence.citations}
        negated = negative(sentence.text)
        for (number, text), terms in zip(pool, pool_terms, strict=True):
            if evidence[number - 1].doc_id in own_docs:
                continue
            if _opposite(answer_terms[i], negated, terms, negative(text)):
                return Conflict(i, number, text.strip())
    return None


def _opposite(terms: set[str], negated: bool, other: set[str], other_negated: bool) -> bool:
    """The same claim (term overlap at least SAME_CLAIM) with the opposite negation."""
    if not terms or not other or negated == other_negated:
        return False
    return len(terms & other) / len(terms | other) >= SAME_CLAIM


def contradicted(statements: Sequence[str], sentences: Sequence[str], analyzer: TextAnalyzer) -> list[bool]:
    """For each statement, whether one of ``sentences`` says the opposite (same claim, flipped negation).

    The same rule as :func:`find_conflict`, between two lists of texts (e.g. gold statements and an answer).
    """
    if not statements or not sentences:
        return [False] * len(statements)
    analyzed = analyzer.analyze_texts([*statements, *sentences])
    stated = [set(t) for t in analyzed[: len(statements)]]
    said = [(set(t), negative(s)) for t, s in zip(analyzed[len(statements) :], sentences, strict=True)]
    return [
        any(_opposite(terms, negative(text), other, other_negated) for other, other_negated in said)
        for text, terms in zip(statements, stated, strict=True)
    ]
