"""/metrics over the in-process app: request, answer and upload counters, index size, and no request content."""

from __future__ import annotations

from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from rag_service.api.app import create_app
from tests.corpora import SEPSIS_Q

pytestmark = pytest.mark.integration

OFF_TOPIC_Q = "Best pizza topping in Naples for a metrics check?"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api: TestClient) -> Samples:
    res = api.get("/metrics")
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(res.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_answers_and_uploads_by_bounded_labels(api: TestClient) -> None:
    before = scrape(api)
    assert api.post("/v1/search", json={"question": SEPSIS_Q}).status_code == 200
    answered = api.post("/v1/ask", json={"question": SEPSIS_Q}).json()
    assert not answered["abstained"] and answered["sentences"]
    off = api.post("/v1/ask", json={"question": OFF_TOPIC_Q}).json()
    assert off["abstained"] and off["abstain_reason"]["code"] == "out_of_scope"
    assert api.get("/v1/documents/no-such-document-7").status_code == 404
    assert api.get("/no/such/path/secret-token").status_code == 404
    upload = api.post("/v1/documents", files={"files": ("notes.exe", b"MZ not a document", "text/plain")})
    assert upload.status_code == 200 and upload.json()["files"][0]["status"] == "failed"
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Requests and latency by method, route template (never the raw path) and status.
    assert delta("rag_http_requests_total", method="POST", endpoint="/v1/search", status="200") == 1
    assert delta("rag_http_requests_total", method="POST", endpoint="/v1/ask", status="200") == 2
    assert (
        delta("rag_http_requests_total", method="GET", endpoint="/v1/documents/{doc_id}", status="404") == 1
    )
    assert delta("rag_http_requests_total", method="GET", endpoint="unmatched", status="404") == 1
    ask_latency = {"method": "POST", "endpoint": "/v1/ask", "status": "200"}
    assert delta("rag_http_request_duration_seconds_count", **ask_latency) == 2
    assert delta("rag_http_request_duration_seconds_sum", **ask_latency) > 0
    assert delta("rag_http_request_duration_seconds_bucket", le="+Inf", **ask_latency) == 2

    # Answers: abstentions by reason, returned sentences by verdict.
    assert delta("rag_answers_total", abstained="true") == 1
    assert delta("rag_answers_total", abstained="false") == 1
    assert delta("rag_abstentions_total", reason="out_of_scope") == 1
    verdicts = {v: sum(s["verdict"] == v for s in answered["sentences"]) for v in ("supported", "partial")}
    for verdict, count in verdicts.items():
        assert delta("rag_answer_sentences_total", verdict=verdict) == count
    unsupported = (
        sum(s["verdict"] == "unsupported" for s in answered["sentences"]) + answered["dropped_sentences"]
    )
    assert delta("rag_unsupported_sentences_total") == unsupported

    # Uploads by result, and the index size read from the catalog at scrape time.
    assert delta("rag_ingest_files_total", status="failed") == 1
    assert delta("rag_ingest_passages_total") == 0
    ready = api.get("/readyz").json()
    assert value(after, "rag_index_documents") == ready["documents"] > 0
    assert value(after, "rag_index_passages") == ready["chunks"] > 0

    # No request content ever reaches the metrics.
    text = api.get("/metrics").text
    for secret in (SEPSIS_Q, OFF_TOPIC_Q, "pizza", "no-such-document-7", "secret-token", "notes.exe"):
        assert secret not in text


def test_metrics_need_no_credentials(api: TestClient) -> None:
    res = api.get("/metrics")
    assert res.status_code == 200 and "rag_http_requests_total" in res.text


def test_each_app_has_its_own_registry(api: TestClient) -> None:
    settings = cast(FastAPI, api.app).state.settings
    first, second = create_app(settings), create_app(settings)
    assert first.state.metrics.registry is not second.state.metrics.registry
    # Without the lifespan: no components, so no index gauges, but requests are still counted.
    client = TestClient(first)
    assert client.get("/healthz").status_code == 200
    assert 'endpoint="/healthz"' in client.get("/metrics").text
    assert "rag_index_documents" not in client.get("/metrics").text
    assert 'endpoint="/healthz"' not in TestClient(second).get("/metrics").text
