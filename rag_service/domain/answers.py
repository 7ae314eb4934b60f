"""Our own types for cited answers: drafts, citations, per-sentence verdicts, abstentions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rag_service.domain.retrieval import Evidence

Verdict = Literal["supported", "partial", "unsupported"]
AbstainCode = Literal["no_evidence", "insufficient_support", "conflicting_evidence", "out_of_scope"]


@dataclass(frozen=True, slots=True)
class Draft:
    """What an answer backend wrote: text whose sentences carry ``[n]`` markers into the numbered evidence."""

    text: str
    backend: str
    model: str
    insufficient: bool = False


@dataclass(frozen=True, slots=True)
class SupportResult:
    """How well the cited passages support one sentence: a score in [0, 1] and why."""

    score: float
    evidence_sentence: str | None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Citation:
    """One numbered citation: the evidence passage quoted exactly, with its provenance."""

    number: int
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    """One sentence of the answer with the citation numbers it carries and its support verdict."""

    text: str
    citations: tuple[int, ...]
    verdict: Verdict
    score: float
    evidence_sentence: str | None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Abstention:
    """Why the service did not answer, in a code and in words."""

    code: AbstainCode
    message: str


@dataclass(frozen=True, slots=True)
class Currency:
    """How current the cited evidence is (services/currency.py): its newest and oldest publication year."""

    newest_year: int | None
    oldest_year: int | None
    stale: bool | None
    stale_after_years: int
    undated_citations: int


@dataclass(slots=True)
class Answer:
    """A verified, cited answer (or an abstention) with everything needed to reproduce and audit it."""

    question: str
    query: str
    text: str
    citations: list[Citation]
    sentences: list[AnswerSentence]
    abstention: Abstention | None
    invalid_citations_removed: int
    dropped_sentences: int
    provenance: dict[str, object]
    timings_ms: dict[str, float] = field(default_factory=dict)
    currency: Currency | None = None

    @property
    def abstained(self) -> bool:
        """True when the service declined to answer."""
        return self.abstention is not None
