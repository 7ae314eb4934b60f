"""Our own types for evidence retrieval: filters, candidates and ranked evidence passages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rag_service.domain.documents import DOC_ID_PATTERN, DocType, DocumentMeta, MetaValue
from rag_service.domain.evidence import Certainty, EvidenceSystem, Strength, StudyDesign

SearchMode = Literal["hybrid", "dense", "lexical"]
# Free-metadata keys end up in Chroma field names (x_<key>); keep them plain.
META_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
# Metadata fields of DocumentMeta that free equality filters may name directly.
FILTERABLE_FIELDS: tuple[str, ...] = (
    "source",
    "url",
    "organisation",
    "journal",
    "year",
    "version",
    "series_id",
    "pmid",
    "pmcid",
    "doi",
)


class EvidenceFilter(BaseModel):
    """Which passages may supply evidence, by their parsed evidence strength; lists mean "any of".

    Applied to the ranked passages after retrieval (the store does not index evidence strength), so a strict
    filter can return fewer than ``top_k`` results.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    systems: list[EvidenceSystem] | None = Field(default=None, max_length=5, examples=[["grade", "acc_aha"]])
    strengths: list[Strength] | None = Field(default=None, max_length=4, examples=[["strong"]])
    certainties: list[Certainty] | None = Field(default=None, max_length=5, examples=[["high", "moderate"]])
    designs: list[StudyDesign] | None = Field(default=None, max_length=9, examples=[["randomised_trial"]])
    min_design: StudyDesign | None = Field(
        default=None,
        description=(
            "Only this design or a more robust one, in the order guideline, meta_analysis, systematic_review, "
            "randomised_trial, cohort, case_control, case_report, narrative_review, unknown."
        ),
        examples=["randomised_trial"],
    )

    def is_empty(self) -> bool:
        """True when no condition is set."""
        return not (self.systems or self.strengths or self.certainties or self.designs or self.min_design)


class SearchFilters(BaseModel):
    """Which documents may supply evidence. Every condition must hold; lists mean "any of"."""

    model_config = ConfigDict(extra="forbid", strict=True)

    doc_types: list[DocType] | None = Field(default=None, max_length=6, examples=[["guideline", "protocol"]])
    organisations: list[str] | None = Field(
        default=None, max_length=100, description="Exact organisation names.", examples=[["WHO"]]
    )
    year_min: int | None = Field(default=None, ge=1800, le=2200)
    year_max: int | None = Field(default=None, ge=1800, le=2200)
    doc_ids: list[str] | None = Field(default=None, max_length=1000, description="Only these documents.")
    exclude_doc_ids: list[str] | None = Field(
        default=None, max_length=1000, description="Never these documents."
    )
    metadata: dict[str, MetaValue] | None = Field(
        default=None,
        max_length=20,
        description=(
            "Equality on provenance fields (journal, version, series_id, pmid, ...) or on free metadata "
            "given at ingest (sidecar or --meta)."
        ),
        examples=[{"question_type": "treatment"}],
    )
    include_superseded: bool = Field(
        default=False,
        description="Also search older editions of a guideline series (they are ranked below the newest).",
    )
    evidence: EvidenceFilter | None = Field(
        default=None, description="Conditions on each passage's evidence strength (applied after retrieval)."
    )

    @model_validator(mode="after")
    def _check(self) -> SearchFilters:
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError("year_min is after year_max")
        for ids in (self.doc_ids or [], self.exclude_doc_ids or []):
            for doc_id in ids:
                if len(doc_id) > 200 or not re.match(DOC_ID_PATTERN, doc_id):
                    raise ValueError(f"{doc_id[:200]!r} is not a valid document id")
        for key in self.metadata or {}:
            if not re.match(META_KEY_PATTERN, key):
                raise ValueError(f"metadata filter key {key[:64]!r} is not a plain field name")
        for org in self.organisations or []:
            if not org or len(org) > 300:
                raise ValueError("organisation names must have 1 to 300 characters")
        return self

    def is_empty(self) -> bool:
        """True when no document is restricted beyond the default exclusion of superseded editions.

        The passage-level ``evidence`` conditions are not document restrictions and are not counted.
        """
        return not (
            self.doc_types
            or self.organisations
            or self.year_min is not None
            or self.year_max is not None
            or self.doc_ids is not None
            or self.exclude_doc_ids
            or self.metadata
        )


def meta_value(meta: DocumentMeta, key: str) -> MetaValue | None:
    """The value a metadata filter on ``key`` compares with: a provenance field or free metadata."""
    if key in FILTERABLE_FIELDS:
        value: MetaValue | None = getattr(meta, key)
        return value
    return meta.extra.get(key)


def matches(meta: DocumentMeta, filters: SearchFilters, excluded: frozenset[str] = frozenset()) -> bool:
    """Whether a document passes the filters (the same rules the vector store applies natively).

    ``excluded`` holds further document ids to leave out, such as superseded editions.
    """
    f = filters
    if meta.doc_id in excluded:
        return False
    if f.doc_types and meta.doc_type not in f.doc_types:
        return False
    if f.organisations and meta.organisation not in f.organisations:
        return False
    if f.year_min is not None and (meta.year is None or meta.year < f.year_min):
        return False
    if f.year_max is not None and (meta.year is None or meta.year > f.year_max):
        return False
    if f.doc_ids is not None and meta.doc_id not in f.doc_ids:
        return False
    if f.exclude_doc_ids and meta.doc_id in f.exclude_doc_ids:
        return False
    for key, wanted in (f.metadata or {}).items():
        value = meta_value(meta, key)
        if value is None or type(value) is not type(wanted) or value != wanted:
            return False
    return True


@dataclass(slots=True)
class Candidate:
    """A passage on its way through fusion and reranking, with every score it has been given."""

    chunk_id: str
    doc_id: str
    text: str
    metadata: dict[str, MetaValue]
    dense_rank: int | None = None
    dense_score: float | None = None
    lexical_rank: int | None = None
    lexical_score: float | None = None
    fused: float = 0.0
    cosine: float | None = None
    relevance: float | None = None
    priority: float = 1.0
    final: float = 0.0
    superseded: bool = False
    duplicates: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One ranked evidence passage with its provenance: what search returns and answers cite."""

    rank: int
    chunk_id: str
    doc_id: str
    text: str
    score: float
    relevance: float | None
    scores: dict[str, float | None]
    meta: DocumentMeta
    heading_path: tuple[str, ...]
    page: int | None
    superseded: bool
    duplicates: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """Ranked evidence, and whether any of it is relevant enough to answer from."""

    evidence: list[Evidence]
    no_relevant_evidence: bool
    threshold: float
    dropped_below_threshold: int
    timings_ms: dict[str, float]
    mode: SearchMode
    reranker: str
