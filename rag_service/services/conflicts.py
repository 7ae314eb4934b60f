"""Conflicting evidence: another retrieved source says the opposite of an answer sentence, or another amount.

Deliberately conservative, because abstaining on a false alarm withholds a good answer. Two kinds count:

* a sentence from another document with largely the same content terms whose negation differs ("aspirin is
  recommended ..." against "aspirin is not recommended ...");
* a dose statement of another document about the same drug (synonyms included) and the same kind of amount
  (per day, per kg, per kg per day) for the same population, where a limit and a limit differ at least
  two-fold or a dose is at least twice another source's limit ("maximum 4 g in 24 hours" against "the
  recommended dose of paracetamol is 40 g per day"); see ``services/dose_limits.py``. Other numbers are not
  compared: they differ legitimately between populations and settings far more often than sources disagree.

A passage holding instruction-like text (``services/injection.py``) is not a source: it is neither quoted
nor allowed to raise a conflict, so a planted document cannot make the service abstain either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag_service.domain.answers import AnswerSentence
from rag_service.domain.protocols import TextAnalyzer
from rag_service.domain.retrieval import Evidence
from rag_service.domain.text import split_sentences
from rag_service.services.claim_text import negative
from rag_service.services.dose_limits import DoseStatement, disagree, dose_statements
from rag_service.services.drug_synonyms import DrugSynonyms, default_synonyms
from rag_service.services.injection import instruction_like

SAME_CLAIM = 0.6


@dataclass(frozen=True, slots=True)
class Conflict:
    """An answer sentence and an evidence sentence of another document that contradicts it."""

    sentence: int
    evidence_number: int
    evidence_sentence: str


def find_conflict(
    sentences: Sequence[AnswerSentence],
    evidence: Sequence[Evidence],
    analyzer: TextAnalyzer,
    synonyms: DrugSynonyms | None = None,
) -> Conflict | None:
    """The first contradiction between an answer sentence and a sentence of another retrieved source."""
    pool = [
        (n, s)
        for n, ev in enumerate(evidence, start=1)
        if not instruction_like(ev.text)
        for s in split_sentences(ev.text)
    ]
    if not pool or not sentences:
        return None
    analyzed = analyzer.analyze_texts([s.text for s in sentences] + [s for _, s in pool])
    answer_terms = [set(t) for t in analyzed[: len(sentences)]]
    pool_terms = [set(t) for t in analyzed[len(sentences) :]]
    names = synonyms or default_synonyms()
    doses: dict[int, list[DoseStatement]] = {}
    for i, sentence in enumerate(sentences):
        own_docs = {evidence[n - 1].doc_id for n in sentence.citations}
        negated = negative(sentence.text)
        context = " ".join(_context(evidence[n - 1]) for n in sentence.citations)
        claimed = dose_statements(sentence.text, names, context)
        for k, ((number, text), terms) in enumerate(zip(pool, pool_terms, strict=True)):
            if evidence[number - 1].doc_id in own_docs:
                continue
            if _opposite(answer_terms[i], negated, terms, negative(text)):
                return Conflict(i, number, text.strip())
            if claimed:
                if k not in doses:
                    doses[k] = dose_statements(text, names, _context(evidence[number - 1]))
                if any(disagree(a, b) for a in claimed for b in doses[k]):
                    return Conflict(i, number, text.strip())
    return None


def _context(ev: Evidence) -> str:
    """What names a passage's drug when its sentence does not: the title and the heading path."""
    return " ".join([ev.meta.title, *ev.heading_path])


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
