"""The faithful answer: a PubMedQA item's conclusion, each sentence cited to passages of its own abstract.

This is what a careful model writes from the evidence: the authors' conclusion (``LONG_ANSWER``), which
paraphrases and sometimes goes beyond the abstract, rather than sentences copied from the passages. The
passages of the item's abstract are found among the numbered evidence by their text (they are chunks of the
abstract's ``CONTEXTS``), never by their title, so the scripted model sees only what a model would see.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.llm_scenarios.requests import Passage
from rag_service.adapters.bm25_index import analyze_texts
from rag_service.domain.text import split_sentences, with_markers

# A passage whose terms are this much covered by an abstract is taken as a chunk of it even when its text
# is not a verbatim substring (whitespace or character clean-up on ingestion).
_OWN_COVERAGE = 0.9
# A second passage is cited with the best one when it matches nearly as well and adds terms of its own.
_SECOND_SHARE = 0.6
MAX_CITATIONS = 2


@dataclass(frozen=True, slots=True)
class Abstract:
    """One PubMedQA item: its question, abstract sections and the authors' conclusion."""

    pmid: str
    question: str
    contexts: tuple[str, ...]
    conclusion: str


@dataclass(frozen=True, slots=True)
class DraftSentence:
    """A sentence of the scripted answer and the passage numbers it cites."""

    text: str
    citations: tuple[int, ...]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


class PubMedQaKey:
    """PubMedQA items looked up by their question text."""

    def __init__(self, abstracts: Iterable[Abstract]) -> None:
        self._by_question = {_key(a.question): a for a in abstracts}

    @classmethod
    def load(cls, path: Path) -> PubMedQaKey:
        """Read a PQA-L JSON file (``{pmid: {QUESTION, CONTEXTS, LONG_ANSWER, ...}}``)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            Abstract(
                pmid=str(pmid),
                question=str(entry["QUESTION"]),
                contexts=tuple(str(c) for c in entry["CONTEXTS"]),
                conclusion=str(entry.get("LONG_ANSWER") or ""),
            )
            for pmid, entry in data.items()
        )

    def __len__(self) -> int:
        return len(self._by_question)

    def lookup(self, question: str) -> Abstract | None:
        """The item asking ``question`` (case and spacing ignored), or None."""
        return self._by_question.get(_key(question))


def own_passages(abstract: Abstract, passages: Sequence[Passage]) -> list[Passage]:
    """The passages that are chunks of ``abstract``, in evidence order."""
    whole = _key(" ".join(abstract.contexts))
    own: list[Passage] = []
    unsure: list[Passage] = []
    for p in passages:
        (own if _key(p.text) in whole else unsure).append(p)
    if unsure:
        abstract_terms, *passage_terms = (set(t) for t in analyze_texts([whole, *(p.text for p in unsure)]))
        own += [
            p
            for p, terms in zip(unsure, passage_terms, strict=True)
            if terms and len(terms & abstract_terms) / len(terms) >= _OWN_COVERAGE
        ]
    return sorted(own, key=lambda p: p.number)


def best_passages(sentence: str, candidates: Sequence[Passage], most: int = MAX_CITATIONS) -> tuple[int, ...]:
    """Numbers of the candidates that best match ``sentence`` by shared terms, in ascending order.

    The best one, plus a second that matches nearly as well and covers terms the best one lacks; ties go to
    the earlier passage (the more relevant one). With no term shared, the earliest passage.
    """
    if not candidates:
        return ()
    sentence_terms, *terms_of = (set(t) for t in analyze_texts([sentence, *(p.text for p in candidates)]))
    overlaps = [len(sentence_terms & t) for t in terms_of]
    order = sorted(range(len(candidates)), key=lambda i: (-overlaps[i], candidates[i].number))
    chosen = [order[0]]
    covered = sentence_terms & terms_of[order[0]]
    for i in order[1:]:
        if len(chosen) >= most or overlaps[i] < _SECOND_SHARE * overlaps[order[0]] or not overlaps[i]:
            break
        if sentence_terms & (terms_of[i] - covered):
            chosen.append(i)
            covered |= terms_of[i]
    return tuple(sorted(candidates[i].number for i in chosen))


def conclusion_sentences(conclusion: str, most: int) -> list[str]:
    """The first ``most`` sentences of the conclusion, each ending with a full stop or other end mark."""
    out: list[str] = []
    for sentence in split_sentences(conclusion)[:most]:
        text = " ".join(sentence.split())
        out.append(text if text[-1] in ".!?" else f"{text}.")
    return out


def faithful_answer(abstract: Abstract, own: Sequence[Passage], most: int) -> list[DraftSentence] | None:
    """The conclusion cited to ``own`` (its abstract's passages among the evidence, see :func:`own_passages`),
    or None when there are none."""
    sentences = conclusion_sentences(abstract.conclusion, most)
    if not own or not sentences:
        return None
    return [DraftSentence(s, best_passages(s, own)) for s in sentences]


def render(sentences: Sequence[DraftSentence]) -> str:
    """The answer text: each sentence with its ``[n]`` markers before its final full stop."""
    return " ".join(with_markers(s.text, s.citations) for s in sentences)
