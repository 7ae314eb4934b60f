"""Pure parts of retrieval: fusion, duplicate collapse, priorities, editions, filters, question checks."""

from __future__ import annotations

import pytest

from rag_service.adapters.chroma_filters import where_clause
from rag_service.domain.documents import DocumentMeta
from rag_service.domain.errors import InvalidRequestError
from rag_service.domain.protocols import VectorHit
from rag_service.domain.retrieval import Candidate, SearchFilters, matches
from rag_service.services.dedup import collapse
from rag_service.services.doc_view import edition_key, superseded_ids
from rag_service.services.fusion import fuse
from rag_service.services.priority import apply_priority
from rag_service.services.questions import clean_question
from rag_service.settings import RetrievalSettings

pytestmark = pytest.mark.unit


def hit(cid: str, score: float = 0.5) -> VectorHit:
    return VectorHit(chunk_id=cid, score=score, text=f"text {cid}", metadata={"doc_id": f"d{cid}"})


def meta(doc_id: str, **kw: object) -> DocumentMeta:
    return DocumentMeta(doc_id=doc_id, title="t", source="s", **kw)


def test_rrf_rewards_agreement_and_keeps_each_sides_rank() -> None:
    fused = fuse(
        [hit("a"), hit("b"), hit("c")], [("c", 9.0), ("x", 5.0)], rrf_k=60, dense_weight=1, lexical_weight=1
    )
    assert fused[0].chunk_id == "c"  # in both lists
    c = fused[0]
    assert (c.dense_rank, c.lexical_rank, c.lexical_score) == (3, 1, 9.0)
    assert c.fused == pytest.approx(1 / 63 + 1 / 61)
    x = next(f for f in fused if f.chunk_id == "x")
    assert x.text == "" and x.dense_rank is None  # keyword-only: filled in later from the store


def test_rrf_weights_can_silence_one_side() -> None:
    fused = fuse([hit("a")], [("b", 1.0)], rrf_k=60, dense_weight=0.0, lexical_weight=1.0)
    assert [c.chunk_id for c in fused] == ["b", "a"]


def cand(cid: str, text: str, **kw: object) -> Candidate:
    return Candidate(chunk_id=cid, doc_id=f"d{cid}", text=text, metadata=dict(kw))  # type: ignore[arg-type]


def test_near_duplicates_collapse_into_the_best_ranked() -> None:
    text = "Give 30 mL/kg of intravenous crystalloid within the first three hours of septic shock."
    pool = [
        cand("1", text),
        cand("2", "Norepinephrine is the first-choice vasopressor for septic shock in adults."),
        cand("3", text.upper().replace(".", "")),
        cand("4", text + " Reassess."),
    ]
    kept = collapse(pool, threshold=0.8)
    assert [c.chunk_id for c in kept] == ["1", "2"]
    assert kept[0].duplicates == [("d3", "3"), ("d4", "4")]
    assert len(collapse(pool, threshold=1.0)) == 3  # only the exact copy collapses at 1.0


def test_priority_boosts_types_and_organisations_and_penalises_old_editions() -> None:
    settings = RetrievalSettings(organisation_boosts={"City": 1.2})
    pool = [
        cand("p", "x", doc_type="protocol", organisation="City"),
        cand("l", "x", doc_type="literature"),
        cand("old", "x", doc_type="guideline"),
    ]
    for c in pool:
        c.relevance = 0.5
    apply_priority(pool, settings, superseded=frozenset({"dold"}))
    assert pool[0].final == pytest.approx(0.5 * 1.15 * 1.2)
    assert pool[1].final == pytest.approx(0.5)
    assert pool[2].superseded and pool[2].final == pytest.approx(0.5 * 1.10 * 0.5)


def test_newest_edition_of_a_series_supersedes_the_rest() -> None:
    metas = [
        meta("a", series_id="s", year=2016, version="2016"),
        meta("b", series_id="s", year=2021, version="2021"),
        meta("c", series_id="t", version="v2.9"),
        meta("d", series_id="t", version="v2.10"),
        meta("e", series_id="solo"),
        meta("f"),
    ]
    assert superseded_ids(metas) == {"a", "c"}
    assert edition_key(meta("x", version="2.10")) > edition_key(meta("y", version="2.9"))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), None),
        (SearchFilters(doc_types=["guideline"]), {"doc_type": {"$in": ["guideline"]}}),
        (
            SearchFilters(year_min=2020, metadata={"ward": "icu", "journal": "BMJ"}),
            {
                "$and": [
                    {"year": {"$gte": 2020}},
                    {"x_ward": {"$eq": "icu"}},
                    {"journal": {"$eq": "BMJ"}},
                ]
            },
        ),
        (SearchFilters(doc_ids=[]), {"doc_id": {"$in": [""]}}),
    ],
)
def test_filters_translate_to_chroma_where(filters: SearchFilters, expected: object) -> None:
    assert where_clause(filters) == expected


def test_excluded_ids_join_the_filter() -> None:
    assert where_clause(SearchFilters(exclude_doc_ids=["b"]), excluded={"a"}) == {
        "doc_id": {"$nin": ["a", "b"]}
    }


def test_python_filter_rules_match_the_store_rules() -> None:
    m = meta("a", year=2020, organisation="WHO", doc_type="guideline", extra={"ward": "icu", "beds": 3})
    assert matches(m, SearchFilters(year_min=2020, year_max=2020, organisations=["WHO"]))
    assert not matches(meta("b"), SearchFilters(year_min=2000))  # no year: a year filter excludes it
    assert matches(m, SearchFilters(metadata={"ward": "icu", "beds": 3}))
    assert not matches(m, SearchFilters(metadata={"beds": "3"}))  # types must agree, as in Chroma
    assert not matches(m, SearchFilters(metadata={"missing": "x"}))
    assert not matches(m, SearchFilters(), excluded=frozenset({"a"}))
    assert not matches(m, SearchFilters(doc_ids=[]))


@pytest.mark.parametrize(
    "bad",
    [
        {"year_min": 2022, "year_max": 2020},
        {"doc_ids": ["a/b"]},
        {"metadata": {"1bad": 1}},
        {"organisations": [""]},
        {"unknown": 1},
        {"year_min": "2020"},
    ],
)
def test_bad_filters_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SearchFilters.model_validate(bad)


def test_question_checks() -> None:
    assert clean_question("  What dose?\n", 100) == "What dose?"
    for bad in ["", "   ", "x" * 101, "dose \x00 of", "\ufffd\ufffd dose", "?!"]:
        with pytest.raises(InvalidRequestError):
            clean_question(bad, 100)
