"""Hybrid retrieval end to end: real model, real embedded Chroma, real BM25, ingested through the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.bootstrap import Components
from rag_service.domain.retrieval import SearchFilters
from rag_service.services.retrieval import SearchRequest
from tests.corpora import RECORDS
from tests.helpers import MakeComponents, ingest, write_jsonl

pytestmark = pytest.mark.integration


@pytest.fixture
def own_index(make_components: MakeComponents, tmp_path: Path) -> Components:
    """RECORDS ingested into a fresh index, for a test that changes it."""
    c = make_components()
    c.open_index()
    report = ingest(c, write_jsonl(tmp_path / "corpus" / "records.jsonl", RECORDS))
    assert report.documents_written == len(RECORDS)
    return c


def search(c: Components, query: str, **kwargs: object) -> list[str]:
    outcome = c.retriever().search(SearchRequest(query=query, **kwargs))  # type: ignore[arg-type]
    return [e.doc_id for e in outcome.evidence]


def test_hybrid_finds_the_passage_and_carries_provenance(records_index: Components) -> None:
    outcome = records_index.retriever().search(
        SearchRequest(query="metformin lactic acidosis kidney function")
    )
    top = outcome.evidence[0]
    assert top.doc_id == "pmid-1"
    assert (top.meta.journal, top.meta.year, top.meta.pmid, top.meta.doc_type) == (
        "Diabetes Care",
        2019,
        "1",
        "literature",
    )
    assert top.rank == 1 and top.relevance is not None and top.relevance >= outcome.threshold
    assert top.scores["dense"] is not None and top.scores["lexical"] is not None
    assert not outcome.no_relevant_evidence


def test_superseded_edition_is_left_out_unless_asked_for(records_index: Components) -> None:
    ranked = search(records_index, "how much crystalloid fluid in septic shock", top_k=10)
    assert "ssc-2021" in ranked and "ssc-2016" not in ranked
    with_old = records_index.retriever().search(
        SearchRequest(
            query="how much crystalloid fluid in septic shock",
            top_k=10,
            filters=SearchFilters(include_superseded=True),
        )
    )
    ids = [e.doc_id for e in with_old.evidence]
    assert ids.index("ssc-2021") < ids.index("ssc-2016")
    assert {e.doc_id: e.superseded for e in with_old.evidence}["ssc-2016"] is True


def test_local_protocol_outranks_national_guideline_on_a_shared_question(records_index: Components) -> None:
    ranked = search(records_index, "30 mL/kg crystalloid bolus septic shock adults", top_k=3)
    assert ranked[0] == "local-sepsis"


def test_the_same_text_twice_collapses_to_one_result(records_index: Components) -> None:
    outcome = records_index.retriever().search(
        SearchRequest(query="inhaled corticosteroids asthma exacerbations")
    )
    asthma = [e for e in outcome.evidence if e.doc_id.startswith("gina-asthma")]
    assert len(asthma) == 1
    assert [d for d, _ in asthma[0].duplicates] == [
        ({"gina-asthma", "gina-asthma-copy"} - {asthma[0].doc_id}).pop()
    ]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (SearchFilters(doc_types=["literature"]), {"pmid-1", "pmid-2"}),
        (SearchFilters(organisations=["GINA"]), {"gina-asthma", "gina-asthma-copy"}),
        (SearchFilters(year_min=2020, year_max=2022), {"ssc-2021", "gina-asthma", "gina-asthma-copy"}),
        (SearchFilters(doc_ids=["pmid-2", "ssc-2021"]), {"pmid-2", "ssc-2021"}),
        (SearchFilters(metadata={"ward": "emergency"}), {"local-sepsis"}),
        (SearchFilters(metadata={"journal": "NEJM"}), {"pmid-2"}),
        (
            SearchFilters(exclude_doc_ids=["pmid-1"], doc_types=["literature"], include_superseded=True),
            {"pmid-2"},
        ),
    ],
)
def test_filters_apply_to_dense_and_keyword_candidates_alike(
    records_index: Components, mode: str, filters: SearchFilters, allowed: set[str]
) -> None:
    # A query touching every document, so each retriever alone would return all of them unfiltered.
    query = "septic shock crystalloid asthma corticosteroids metformin warfarin"
    outcome = records_index.retriever().search(
        SearchRequest(query=query, top_k=20, filters=filters, mode=mode, rerank=False, min_relevance=0.0)  # type: ignore[arg-type]
    )
    got = {e.doc_id for e in outcome.evidence} | {d for e in outcome.evidence for d, _ in e.duplicates}
    assert got <= allowed
    if mode != "lexical" or filters.metadata != {"journal": "NEJM"}:
        assert got, (mode, filters)


def test_an_unrelated_question_gets_the_no_evidence_signal(records_index: Components) -> None:
    outcome = records_index.retriever().search(
        SearchRequest(query="How do I change the oil in a diesel car engine?")
    )
    assert outcome.no_relevant_evidence and outcome.evidence == []
    assert outcome.dropped_below_threshold > 0


def test_deleted_document_disappears_from_both_retrievers(own_index: Components) -> None:
    own_index.index.delete(["pmid-2"])
    own_index.index.refresh_lexical()
    for mode in ("dense", "lexical", "hybrid"):
        ranked = search(own_index, "warfarin genotype dosing INR", mode=mode, rerank=False, min_relevance=0.0)
        assert "pmid-2" not in ranked, mode


def test_a_local_cross_encoder_directory_plugs_in_as_reranker(
    make_components: MakeComponents, tmp_path: Path
) -> None:
    """The plumbing of a user-supplied CrossEncoder (here: MiniLM with an untrained scoring head)."""
    from sentence_transformers import CrossEncoder

    from rag_service.adapters.embedder import resolve_model_dir
    from rag_service.settings import EmbeddingSettings

    model_dir = tmp_path / "cross-encoder"
    CrossEncoder(str(resolve_model_dir(EmbeddingSettings())), num_labels=1, local_files_only=True).save(
        str(model_dir)
    )
    c = make_components(retrieval={"reranker": "cross_encoder", "rerank_model": str(model_dir)})
    c.open_index()
    ingest(c, write_jsonl(tmp_path / "corpus" / "records.jsonl", RECORDS))
    c.reranker.warm_up()
    outcome = c.retriever().search(SearchRequest(query="warfarin genotype", min_relevance=0.0))
    assert outcome.reranker == "cross_encoder" and outcome.evidence
    assert all(e.relevance is not None and 0.0 <= e.relevance <= 1.0 for e in outcome.evidence)


def test_cross_encoder_setting_needs_a_model_directory(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from rag_service.settings import Settings

    with pytest.raises(ValidationError, match="rerank_model"):
        Settings(data_dir=tmp_path, retrieval={"reranker": "cross_encoder"})
