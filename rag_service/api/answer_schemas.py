"""Request and response bodies of the answering endpoint."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.api.schemas import MAX_HISTORY_TURN_CHARS, MAX_QUESTION_CHARS, EvidenceOut
from rag_service.domain.answers import AbstainCode, Answer, Currency, Verdict
from rag_service.domain.retrieval import SearchFilters


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["user", "assistant"]
    content: str = Field(
        max_length=MAX_HISTORY_TURN_CHARS,
        description=f"The turn's text, at most {MAX_HISTORY_TURN_CHARS} characters.",
    )


class AskBody(BaseModel):
    """A question to answer from the evidence. Unknown fields are rejected, types are strict."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "question": "What fluid volume is recommended for initial resuscitation in septic shock?",
                    "filters": {"doc_types": ["guideline", "protocol"]},
                },
                {
                    "question": "And which vasopressor comes first?",
                    "history": [{"role": "user", "content": "How is septic shock resuscitated?"}],
                    "stream": True,
                },
            ]
        },
    )

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description=(
            f"The question, at most {MAX_QUESTION_CHARS} characters (retrieval.max_question_chars may lower it)."
        ),
    )
    filters: SearchFilters | None = None
    history: list[Turn] = Field(
        default_factory=list, max_length=50, description="Earlier turns, oldest first."
    )
    stream: bool = Field(default=False, description="Send the answer as Server-Sent Events.")


class CitationOut(EvidenceOut):
    """A numbered citation: the passage quoted exactly (``text``) with its provenance and retrieval score."""

    number: int


class SentenceOut(BaseModel):
    """One answer sentence, the citations it carries, and whether they support it."""

    text: str
    citations: list[int]
    verdict: Verdict
    score: float = Field(description="Support score in [0, 1].")
    evidence_sentence: str | None = Field(description="The evidence sentence(s) that match it best.")
    reasons: list[str] = Field(
        description="Why the score is low, when it is (numbers, negation, no citation)."
    )


class AbstainReason(BaseModel):
    """Why no answer is given."""

    code: AbstainCode
    message: str


class CurrencyOut(BaseModel):
    """How current the cited evidence is. Years come from the documents' metadata; none is ever guessed."""

    newest_year: int | None = Field(
        description="Newest publication year among the cited documents; null if none has one."
    )
    oldest_year: int | None = Field(
        description="Oldest publication year among the cited documents; null if none has one."
    )
    stale: bool | None = Field(
        description=(
            "True when every cited document has a year and all are older than `stale_after_years` (the answer "
            "is still given, with this flag); false when one is within it or the limit is 0; null when it "
            "cannot be told (no dated citation within the limit, some undated)."
        )
    )
    stale_after_years: int = Field(
        description="The age limit used (answer.stale_after_years; 0 never flags)."
    )
    undated_citations: int = Field(description="Cited documents without a publication year.")

    @classmethod
    def from_currency(cls, c: Currency | None) -> CurrencyOut | None:
        """Convert the domain value; an abstention has none."""
        if c is None:
            return None
        return cls(**asdict(c))


class AskResponse(BaseModel):
    """A verified, cited answer or an abstention, with what is needed to reproduce and audit it."""

    answer: str = Field(
        description="Answer text with [n] markers referring to `citations`; empty on abstention."
    )
    abstained: bool
    abstain_reason: AbstainReason | None
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    query: str = Field(
        description="The query actually searched (a follow-up is combined with the previous turn)."
    )
    invalid_citations_removed: int
    dropped_sentences: int
    provenance: dict[str, object]
    timings_ms: dict[str, float]
    currency: CurrencyOut | None = Field(
        default=None,
        description="Publication-year range of the cited documents and the staleness flag; null on abstention.",
    )

    @classmethod
    def from_answer(cls, a: Answer) -> AskResponse:
        """Convert a domain answer."""
        citations = [
            CitationOut(number=c.number, **EvidenceOut.from_evidence(c.evidence).model_dump())
            for c in a.citations
        ]
        return cls(
            answer=a.text,
            abstained=a.abstained,
            abstain_reason=AbstainReason(code=a.abstention.code, message=a.abstention.message)
            if a.abstention
            else None,
            citations=citations,
            sentences=[
                SentenceOut(
                    text=s.text,
                    citations=list(s.citations),
                    verdict=s.verdict,
                    score=s.score,
                    evidence_sentence=s.evidence_sentence,
                    reasons=list(s.reasons),
                )
                for s in a.sentences
            ],
            query=a.query,
            invalid_citations_removed=a.invalid_citations_removed,
            dropped_sentences=a.dropped_sentences,
            provenance=a.provenance,
            timings_ms=a.timings_ms,
            currency=CurrencyOut.from_currency(a.currency),
        )
