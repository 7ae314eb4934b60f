"""POST /v1/search in process: the app over warm components, driven through Starlette's TestClient.

The same checks over real loopback HTTP against the `rag-serve` console script are in test_processes.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from rag_service.domain.retrieval import SearchFilters
from rag_service.services.retrieval import SearchRequest
from tests.corpora import RECORDS
from tests.helpers import MakeComponents, ingest, write_jsonl

pytestmark = pytest.mark.integration


def post(api: TestClient, body: object, headers: dict[str, str] | None = None) -> httpx2.Response:
    return api.post("/v1/search", json=body, headers=headers)


def test_search_returns_ranked_evidence_with_provenance(api: TestClient) -> None:
    res = post(api, {"question": "metformin lactic acidosis", "top_k": 3})
    assert res.status_code == 200, res.text
    body = res.json()
    top = body["results"][0]
    assert top["doc_id"] == "pmid-1" and top["rank"] == 1
    assert top["journal"] == "Diabetes Care" and top["year"] == 2019 and top["pmid"] == "1"
    assert top["title"] == "Metformin and lactic acidosis" and top["doc_type"] == "literature"
    assert "eGFR above 30" in top["text"]
    assert top["relevance"] >= body["threshold"] and body["no_relevant_evidence"] is False
    assert body["reranker"] == "features" and body["mode"] == "hybrid"
    assert body["collection"].startswith("rag_all-minilm-l6-v2") and body["timings_ms"]["total"] > 0
    assert len(body["results"]) <= 3


def test_search_filters_over_http(api: TestClient) -> None:
    body = {
        "question": "septic shock fluids",
        "filters": {"doc_types": ["protocol"], "metadata": {"ward": "emergency"}},
        "min_relevance": 0.0,
    }
    res = post(api, body)
    assert res.status_code == 200, res.text
    assert {r["doc_id"] for r in res.json()["results"]} == {"local-sepsis"}


def test_unrelated_question_says_there_is_no_evidence(api: TestClient) -> None:
    body = post(api, {"question": "Which football club won the 1998 league title?"}).json()
    assert body["no_relevant_evidence"] is True and body["results"] == []


@pytest.mark.parametrize(
    ("body", "field_fragment"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n  "}, None),
        ({"question": "x" * 5000}, None),
        ({"question": "metformin \x00\x01\x02 dose"}, None),
        ({"question": "?!..."}, None),
        ({"question": "ok", "top_k": 0}, "top_k"),
        ({"question": "ok", "top_k": 51}, None),
        ({"question": "ok", "top_k": "5"}, "top_k"),
        ({"question": 42}, "question"),
        ({"question": "ok", "filters": {"colour": "red"}}, "filters.colour"),
        ({"question": "ok", "filters": {"year_min": "2020"}}, "filters.year_min"),
        ({"question": "ok", "filters": {"year_min": 2022, "year_max": 2020}}, "filters"),
        ({"question": "ok", "filters": {"doc_types": ["novel"]}}, "filters.doc_types"),
        ({"question": "ok", "filters": {"metadata": {"bad key!": 1}}}, "filters"),
        ({"question": "ok", "filters": {"doc_ids": ["../etc/passwd"]}}, "filters"),
        ({"question": "ok", "mode": "magic"}, "mode"),
        ({"question": "ok", "surprise": True}, "surprise"),
        ([1, 2, 3], None),
    ],
)
def test_bad_requests_get_422_in_the_envelope(
    api: TestClient, body: object, field_fragment: str | None
) -> None:
    res = post(api, body, headers={"X-Request-ID": "bad-1"})
    assert res.status_code == 422, res.text
    error = res.json()["error"]
    assert error["code"] == "invalid_request" and error["request_id"] == "bad-1"
    assert "Traceback" not in res.text and "\x00" not in res.text
    if field_fragment:
        assert any(field_fragment in d["field"] for d in error["details"]), error


def test_binary_and_oversized_bodies_are_refused(api: TestClient) -> None:
    binary = api.post(
        "/v1/search",
        content=bytes(range(256)) * 4,
        headers={"content-type": "application/json"},
    )
    assert binary.status_code == 422 and binary.json()["error"]["code"] == "invalid_request"
    huge = api.post(
        "/v1/search",
        content=b'{"question": "' + b"a" * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'"}'

    streamed = api.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    # ...and the service keeps serving.
    assert post(api, {"question": "warfarin genotype"}).status_code == 200


def test_openapi_documents_search_with_an_example(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    op = spec["paths"]["/v1/search"]["post"]
    assert "422" in op["responses"] and "503" in op["responses"]
    schema = spec["components"]["schemas"]["SearchBody"]
    assert schema["examples"][0]["question"]


@pytest.mark.process
def test_search_through_a_chroma_server(
    make_components: MakeComponents, chroma_server: tuple[str, int], tmp_path: Path
) -> None:
    host, port = chroma_server
    c = make_components(store={"host": host, "port": port, "collection_prefix": "srch"})
    c.open_index()
    ingest(c, write_jsonl(tmp_path / "records.jsonl", RECORDS))
    retriever = c.retriever()
    top = retriever.search(SearchRequest(query="warfarin genotype dosing")).evidence[0]
    assert top.doc_id == "pmid-2"
    for mode in ("dense", "lexical"):
        filtered = retriever.search(
            SearchRequest(
                query="septic shock crystalloid asthma metformin warfarin",
                top_k=20,
                mode=mode,
                rerank=False,
                min_relevance=0.0,
                filters=SearchFilters(year_min=2020, doc_types=["guideline"]),
            )
        )
        got = {e.doc_id for e in filtered.evidence} | {d for e in filtered.evidence for d, _ in e.duplicates}
        assert got == {"ssc-2021", "gina-asthma", "gina-asthma-copy"}, mode
