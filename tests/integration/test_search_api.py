"""POST /v1/search as a client sees it: rag-serve in its own process, real HTTP over loopback."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import IngestPipeline
from ingest.sources import discover
from rag_service.bootstrap import Components
from rag_service.domain.retrieval import SearchFilters
from rag_service.services.retrieval import SearchRequest
from tests.conftest import BIN, rag_serve
from tests.integration.test_retrieval import RECORDS

pytestmark = pytest.mark.integration

SECRET_QUESTION = "Patient Jane Roe 1970-01-02 metformin lactic acidosis risk?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("search-api")
    corpus = root / "records.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    env = {**os.environ, "RAG_DATA_DIR": str(root / "data")}
    ingest = subprocess.run(
        [str(BIN / "rag-ingest"), "--json", str(corpus)],
        env=env,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr
    log = root / "serve.log"
    with rag_serve(env, log) as base:
        yield base, log


def post(base: str, body: object, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{base}/v1/search", json=body, timeout=60, **kwargs)  # type: ignore[arg-type]


def test_search_returns_ranked_evidence_with_provenance(served: tuple[str, Path]) -> None:
    base, _ = served
    res = post(base, {"question": "metformin lactic acidosis", "top_k": 3})
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


def test_search_filters_over_http(served: tuple[str, Path]) -> None:
    base, _ = served
    body = {
        "question": "septic shock fluids",
        "filters": {"doc_types": ["protocol"], "metadata": {"ward": "emergency"}},
        "min_relevance": 0.0,
    }
    res = post(base, body)
    assert res.status_code == 200, res.text
    assert {r["doc_id"] for r in res.json()["results"]} == {"local-sepsis"}


def test_unrelated_question_says_there_is_no_evidence(served: tuple[str, Path]) -> None:
    base, _ = served
    body = post(base, {"question": "Which football club won the 1998 league title?"}).json()
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
    served: tuple[str, Path], body: object, field_fragment: str | None
) -> None:
    base, _ = served
    res = post(base, body, headers={"X-Request-ID": "bad-1"})
    assert res.status_code == 422, res.text
    error = res.json()["error"]
    assert error["code"] == "invalid_request" and error["request_id"] == "bad-1"
    assert "Traceback" not in res.text and "\x00" not in res.text
    if field_fragment:
        assert any(field_fragment in d["field"] for d in error["details"]), error


def test_binary_and_oversized_bodies_are_refused(served: tuple[str, Path]) -> None:
    base, _ = served
    binary = httpx.post(
        f"{base}/v1/search",
        content=bytes(range(256)) * 4,
        headers={"content-type": "application/json"},
    )
    assert binary.status_code == 422 and binary.json()["error"]["code"] == "invalid_request"
    huge = httpx.post(
        f"{base}/v1/search",
        content=b'{"question": "' + b"a" * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'"}'

    streamed = httpx.post(f"{base}/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    # ...and the service keeps serving.
    assert post(base, {"question": "warfarin genotype"}).status_code == 200


def test_question_text_never_reaches_the_log(served: tuple[str, Path]) -> None:
    base, log = served
    assert post(base, {"question": SECRET_QUESTION}).status_code == 200
    assert post(base, {"question": SECRET_QUESTION, "top_k": 9999}).status_code == 422
    text = log.read_text(errors="replace")
    assert "POST /v1/search 200" in text
    assert "Jane" not in text and "1970-01-02" not in text


def test_openapi_documents_search_with_an_example(served: tuple[str, Path]) -> None:
    base, _ = served
    spec = httpx.get(f"{base}/openapi.json").json()
    op = spec["paths"]["/v1/search"]["post"]
    assert "422" in op["responses"] and "503" in op["responses"]
    schema = spec["components"]["schemas"]["SearchBody"]
    assert schema["examples"][0]["question"]


def test_search_through_a_chroma_server(
    make_components: Callable[..., Components], chroma_server: tuple[str, int], tmp_path: Path
) -> None:
    host, port = chroma_server
    c = make_components(store={"host": host, "port": port, "collection_prefix": "srch"})
    c.open_index()
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    files, missing = discover([path])
    IngestPipeline(c).run(files, missing=missing, prune=False)  # type: ignore[arg-type]
    retriever = c.retriever()
    top = retriever.search(SearchRequest(query="warfarin genotype dosing")).evidence[0]
    assert top.doc_id == "pmid-2"
    for mode in ("dense", "lexical"):
        filtered = retriever.search(
            SearchRequest(
                query="septic shock crystalloid asthma metformin warfarin",
                top_k=20,
                mode=mode,  # type: ignore[arg-type]
                rerank=False,
                min_relevance=0.0,
                filters=SearchFilters(year_min=2020, doc_types=["guideline"]),
            )
        )
        got = {e.doc_id for e in filtered.evidence} | {d for e in filtered.evidence for d, _ in e.duplicates}
        assert got == {"ssc-2021", "gina-asthma", "gina-asthma-copy"}, mode
