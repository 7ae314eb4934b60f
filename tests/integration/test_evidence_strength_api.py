"""Evidence strength over HTTP: every /v1/ask citation and /v1/search result carries it, the filter and the prior."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.api.app import create_app
from rag_service.bootstrap import Components
from rag_service.services.retrieval import SearchRequest
from tests.helpers import jsonl_index

pytestmark = pytest.mark.integration

QUESTION = "Should corticosteroids be given to adults with community-acquired pneumonia?"
CORPUS = [
    {
        "id": "cap-guideline",
        "title": "Community-acquired pneumonia in adults",
        "text": "Do not routinely use corticosteroids in adults with nonsevere community-acquired pneumonia "
        "(Strong recommendation, High quality of evidence).",
        "doc_type": "guideline",
        "organisation": "ATS/IDSA",
        "year": 2019,
    },
    {
        "id": "cap-trial",
        "title": "Prednisone in community-acquired pneumonia",
        "text": "Methods: In this randomized controlled trial, 300 adults with community-acquired pneumonia were "
        "randomly assigned to prednisone or placebo. Corticosteroids did not reduce mortality in pneumonia.",
        "doc_type": "literature",
        "year": 2015,
    },
    {
        "id": "cap-case",
        "title": "Hyperglycaemia after corticosteroids in pneumonia",
        "text": "We report a case of a 70-year-old man with community-acquired pneumonia who was given "
        "corticosteroids and developed severe hyperglycaemia.",
        "doc_type": "literature",
        "year": 2020,
    },
]
EXPECTED = {
    "cap-guideline": ("grade", "strong", "high", "guideline"),
    "cap-trial": ("unknown", "unknown", "unknown", "randomised_trial"),
    "cap-case": ("unknown", "unknown", "unknown", "case_report"),
}


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[Components]:
    """A guideline with a GRADE rating, a randomised trial and a case report, ingested once."""
    c = jsonl_index(tmp_path_factory.mktemp("graded"), warm_embedder, CORPUS)
    yield c
    c.close()


@pytest.fixture(scope="module")
def client(graded: Components) -> Iterator[TestClient]:
    with TestClient(create_app(graded.settings, components=graded)) as api:
        yield api


def fields(item: dict[str, object]) -> tuple[object, ...]:
    ev = item["evidence"]
    assert isinstance(ev, dict)
    return ev["system"], ev["strength"], ev["certainty"], ev["study_design"]


def test_search_results_and_ask_citations_carry_evidence_strength(client: TestClient) -> None:
    res = client.post("/v1/search", json={"question": QUESTION, "top_k": 5, "min_relevance": 0.0})
    assert res.status_code == 200, res.text
    results = res.json()["results"]
    assert {r["doc_id"] for r in results} == set(EXPECTED)
    for r in results:
        assert fields(r) == EXPECTED[r["doc_id"]], r["doc_id"]
    guideline = next(r for r in results if r["doc_id"] == "cap-guideline")
    assert guideline["evidence"]["label"] == "Strong recommendation, High quality of evidence"

    answer = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert not answer["abstained"], answer["abstain_reason"]
    assert answer["citations"]
    for c in answer["citations"]:
        assert fields(c) == EXPECTED[c["doc_id"]], c["doc_id"]


@pytest.mark.parametrize(
    ("evidence_filter", "expected"),
    [
        ({"designs": ["randomised_trial"]}, {"cap-trial"}),
        ({"strengths": ["strong"], "certainties": ["high"]}, {"cap-guideline"}),
        ({"min_design": "randomised_trial"}, {"cap-guideline", "cap-trial"}),
        ({"systems": ["acc_aha"]}, set()),
    ],
)
def test_the_evidence_filter_keeps_only_matching_passages(
    client: TestClient, evidence_filter: dict[str, object], expected: set[str]
) -> None:
    body = {"question": QUESTION, "top_k": 5, "min_relevance": 0.0, "filters": {"evidence": evidence_filter}}
    res = client.post("/v1/search", json=body)
    assert res.status_code == 200, res.text
    assert {r["doc_id"] for r in res.json()["results"]} == expected


def test_a_malformed_evidence_filter_is_refused(client: TestClient) -> None:
    res = client.post(
        "/v1/search", json={"question": QUESTION, "filters": {"evidence": {"designs": ["anecdote"]}}}
    )
    assert res.status_code == 422 and res.json()["error"]["code"] == "invalid_request"


def test_the_ranking_prior_is_off_by_default_and_scales_priority_when_set(graded: Components) -> None:
    def priorities(prior: float) -> dict[str, float]:
        retrieval = graded.settings.retrieval.model_copy(update={"evidence_prior": prior})
        c = dataclasses.replace(graded, settings=graded.settings.model_copy(update={"retrieval": retrieval}))
        outcome = c.retriever().search(SearchRequest(query=QUESTION, top_k=5, min_relevance=0.0))
        return {e.doc_id: float(e.scores["priority"] or 0.0) for e in outcome.evidence}

    assert graded.settings.retrieval.evidence_prior == 0.0
    off, on = priorities(0.0), priorities(0.5)
    # 1 + 0.5 x score: strong recommendation 1.0, randomised trial 0.8, case report 0.1
    assert on["cap-guideline"] == pytest.approx(off["cap-guideline"] * 1.5, rel=1e-3)
    assert on["cap-trial"] == pytest.approx(off["cap-trial"] * 1.4, rel=1e-3)
    assert on["cap-case"] == pytest.approx(off["cap-case"] * 1.05, rel=1e-3)
