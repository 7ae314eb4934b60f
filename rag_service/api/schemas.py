"""Request and response bodies of the HTTP API: our own models, never a framework's types."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.domain.documents import DocType, MetaValue
from rag_service.domain.evidence import Certainty, EvidenceSystem, Strength, StudyDesign
from rag_service.domain.protocols import DocumentRecord
from rag_service.domain.retrieval import Evidence, SearchFilters, SearchMode, SearchOutcome
from rag_service.services.evidence_strength import evidence_of
from rag_service.settings import RetrievalSettings

# The request limits the service enforces by default (settings may only lower them), stated in the schema.
MAX_QUESTION_CHARS: int = RetrievalSettings.model_fields["max_question_chars"].default
MAX_TOP_K: int = RetrievalSettings.model_fields["max_top_k"].default
MAX_HISTORY_TURN_CHARS = 2000
"""Longest earlier conversation turn accepted, in characters."""


class ErrorBody(BaseModel):
    """What went wrong, in words safe to show; ``request_id`` ties it to the server's logs."""

    code: str = Field(examples=["document_not_found"])
    message: str = Field(examples=["no document with id 'x'"])
    request_id: str | None = None
    details: list[dict[str, str]] | None = Field(
        default=None, description="Per-field problems of a bad request."
    )


class ErrorEnvelope(BaseModel):
    """The one shape of every error response."""

    error: ErrorBody


class Health(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Readiness: models loaded, store reachable, indexes consistent."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(examples=[{"embedder": "ok", "store": "ok", "lexical_index": "ok"}])
    collection: str
    embedding_model: str
    documents: int | None = None
    chunks: int | None = None


class DocumentOut(BaseModel):
    """An ingested document and its provenance."""

    doc_id: str
    title: str
    doc_type: DocType
    source: str
    url: str | None = None
    organisation: str | None = None
    journal: str | None = None
    year: int | None = None
    version: str | None = None
    series_id: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    extra: dict[str, MetaValue] = Field(default_factory=dict)
    chunk_count: int
    status: Literal["complete", "pending", "deleting"]
    ingested_at: str
    superseded: bool = Field(default=False, description="A newer edition of this series is indexed.")

    @classmethod
    def from_record(cls, record: DocumentRecord, superseded: bool = False) -> DocumentOut:
        """Convert a catalog record."""
        meta = record.meta.model_dump(exclude={"language"})
        return cls(
            **meta,
            chunk_count=record.chunk_count,
            status=record.status,
            ingested_at=record.ingested_at,
            superseded=superseded,
        )


class DocumentList(BaseModel):
    """A page of documents."""

    items: list[DocumentOut]
    total: int
    offset: int
    limit: int


class DeleteResult(BaseModel):
    """Outcome of deleting a document."""

    doc_id: str
    chunks_removed: int


class SearchBody(BaseModel):
    """A question and how to search for its evidence. Unknown fields are rejected, types are strict."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "question": "What fluid volume is recommended for initial resuscitation in septic shock?",
                    "top_k": 5,
                    "filters": {"doc_types": ["guideline", "protocol"], "year_min": 2016},
                }
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
    top_k: int = Field(
        default=8,
        ge=1,
        le=MAX_TOP_K,
        description=f"Passages to return, at most {MAX_TOP_K} (retrieval.max_top_k may lower it).",
    )
    filters: SearchFilters | None = None
    mode: SearchMode = Field(
        default="hybrid", description="'hybrid' (default), or one retriever alone: 'dense' or 'lexical'."
    )
    rerank: bool = Field(default=True, description="Rerank the fused candidates (retrieval.reranker).")
    min_relevance: float | None = Field(
        default=None, ge=0, le=1, description="Override of the relevance threshold (retrieval.min_relevance)."
    )


class DuplicateRef(BaseModel):
    """A passage collapsed into a result because it holds the same text."""

    doc_id: str
    chunk_id: str


class EvidenceStrengthOut(BaseModel):
    """How strong the evidence behind a passage is; each field is ``unknown`` when it cannot be known.

    Parsed from the passage and its heading path (GRADE, ACC/AHA, NICE wording, USPSTF grades) and, for
    literature, the study design from publication types or the abstract's own words. A malformed or
    contradictory rating gives ``unknown``, never a guess.
    """

    system: EvidenceSystem = Field(
        default="unknown", description="The grading scheme of the passage's rating."
    )
    strength: Strength = Field(
        default="unknown",
        description="Recommendation strength: strong (Class I, GRADE strong, NICE 'offer', USPSTF A), "
        "moderate (Class IIa, USPSTF B), weak (GRADE weak/conditional, Class IIb, NICE 'consider', USPSTF C).",
    )
    certainty: Certainty = Field(
        default="unknown", description="Certainty of evidence (GRADE; ACC/AHA level A/B/C-LD/C-EO)."
    )
    study_design: StudyDesign = Field(
        default="unknown", description="Study design of a literature passage, or guideline."
    )
    label: str = Field(
        default="", description="The rating as the source words it, e.g. 'Class IIa, LOE B-R'."
    )


class EvidenceOut(BaseModel):
    """One evidence passage with its full provenance."""

    rank: int
    chunk_id: str
    text: str
    score: float = Field(description="Ranking score: relevance times source priority.")
    relevance: float | None = Field(
        description="Relevance to the question in [0, 1], compared with the threshold (null in lexical-only mode)."
    )
    scores: dict[str, float | None] = Field(
        description="Each stage's score: dense, lexical, fused, cosine, priority."
    )
    doc_id: str
    title: str
    heading_path: list[str]
    heading: str
    page: int | None
    doc_type: DocType
    source: str
    url: str | None
    organisation: str | None
    journal: str | None
    year: int | None
    version: str | None
    series_id: str | None
    pmid: str | None
    pmcid: str | None
    doi: str | None
    superseded: bool = Field(description="A newer edition of this guideline series is indexed.")
    duplicates: list[DuplicateRef] = Field(description="Same-text passages collapsed into this one.")
    evidence: EvidenceStrengthOut = Field(
        default_factory=EvidenceStrengthOut, description="Evidence strength of this passage."
    )

    @classmethod
    def from_evidence(cls, ev: Evidence) -> EvidenceOut:
        """Convert a domain result."""
        m = ev.meta
        return cls(
            rank=ev.rank,
            chunk_id=ev.chunk_id,
            text=ev.text,
            score=ev.score,
            relevance=ev.relevance,
            scores=dict(ev.scores),
            doc_id=ev.doc_id,
            title=m.title,
            heading_path=list(ev.heading_path),
            heading=" > ".join(ev.heading_path),
            page=ev.page,
            doc_type=m.doc_type,
            source=m.source,
            url=m.url,
            organisation=m.organisation,
            journal=m.journal,
            year=m.year,
            version=m.version,
            series_id=m.series_id,
            pmid=m.pmid,
            pmcid=m.pmcid,
            doi=m.doi,
            superseded=ev.superseded,
            duplicates=[DuplicateRef(doc_id=d, chunk_id=c) for d, c in ev.duplicates],
            evidence=EvidenceStrengthOut(**evidence_of(ev).as_dict()),
        )


class SearchResponse(BaseModel):
    """Ranked evidence and whether any of it is relevant enough to answer from."""

    results: list[EvidenceOut]
    no_relevant_evidence: bool = Field(
        description="True when no passage reached the relevance threshold: there is nothing to answer from."
    )
    threshold: float
    dropped_below_threshold: int
    mode: SearchMode
    reranker: str
    collection: str
    embedding_model: str
    timings_ms: dict[str, float]

    @classmethod
    def from_outcome(cls, outcome: SearchOutcome, collection: str, embedding_model: str) -> SearchResponse:
        """Convert a domain result."""
        return cls(
            results=[EvidenceOut.from_evidence(e) for e in outcome.evidence],
            no_relevant_evidence=outcome.no_relevant_evidence,
            threshold=outcome.threshold,
            dropped_below_threshold=outcome.dropped_below_threshold,
            mode=outcome.mode,
            reranker=outcome.reranker,
            collection=collection,
            embedding_model=embedding_model,
            timings_ms=outcome.timings_ms,
        )
