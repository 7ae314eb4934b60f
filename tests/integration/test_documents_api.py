"""Probes and /v1/documents in process over the mixed corpus: paging, provenance, the error envelope, 409."""

from __future__ import annotations

from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag_service.api.deps import get_state
from rag_service.api.state import ServiceState

pytestmark = pytest.mark.integration


def test_health_and_readiness(mixed_api: TestClient) -> None:
    assert mixed_api.get("/healthz").json() == {"status": "ok"}
    ready = mixed_api.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["checks"] == {
        "embedder": "ok",
        "store": "ok",
        "lexical_index": "ok",
    }
    assert body["documents"] >= 8 and body["collection"].startswith("rag_all-minilm-l6-v2")


def test_document_listing_pages_and_provenance(mixed_api: TestClient) -> None:
    first = mixed_api.get("/v1/documents", params={"limit": 3}).json()
    second = mixed_api.get("/v1/documents", params={"limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] >= 8
    assert len(first["items"]) == 3 and (first["offset"], second["offset"]) == (0, 3)
    assert not {d["doc_id"] for d in first["items"]} & {d["doc_id"] for d in second["items"]}
    ordered = [d["doc_id"] for d in first["items"] + second["items"]]
    assert ordered == sorted(ordered)
    capped = mixed_api.get("/v1/documents", params={"limit": 100_000}).json()
    assert capped["limit"] <= cast(FastAPI, mixed_api.app).state.settings.api.max_page_size
    label = mixed_api.get("/v1/documents/labels--warfarin.pdf").json()
    assert label["doc_type"] == "drug_label" and label["organisation"] == "FDA" and label["chunk_count"] > 0


def test_errors_share_one_envelope(mixed_api: TestClient) -> None:
    missing = mixed_api.get("/v1/documents/nope", headers={"X-Request-ID": "req-123"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "document_not_found"
    assert missing.json()["error"]["request_id"] == "req-123" == missing.headers["x-request-id"]
    bad = mixed_api.get("/v1/documents", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    assert bad.json()["error"]["details"][0]["field"] == "query.limit"
    unknown = mixed_api.get("/v2/nothing")
    assert unknown.status_code == 404 and "error" in unknown.json()
    wrong_method = mixed_api.put("/v1/documents/bulk-1")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_delete_while_an_ingest_writes_is_409(mixed_api: TestClient) -> None:
    state: ServiceState = cast(FastAPI, mixed_api.app).state.service
    with state.components.writer_lock():  # as if rag-ingest were running on this data directory
        busy = mixed_api.delete("/v1/documents/bulk-2")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "index_busy"
    assert mixed_api.get("/v1/documents/bulk-2").status_code == 200


def test_delete_over_http_removes_the_document(mixed_api: TestClient) -> None:
    before = mixed_api.get("/v1/documents").json()["total"]
    gone = mixed_api.delete("/v1/documents/bulk-3")
    assert gone.status_code == 200 and gone.json()["chunks_removed"] >= 1
    assert mixed_api.get("/v1/documents/bulk-3").status_code == 404
    assert mixed_api.get("/v1/documents").json()["total"] == before - 1
    assert mixed_api.get("/readyz").json()["checks"]["lexical_index"] == "ok"


def test_a_store_that_cannot_be_reached_is_503_in_the_envelope(mixed_api: TestClient) -> None:
    class DownState:
        def ensure_open(self) -> None:
            from rag_service.domain.errors import StoreUnavailableError

            raise StoreUnavailableError("the index is not available: connection refused")

    app = cast(FastAPI, mixed_api.app)
    app.dependency_overrides[get_state] = DownState
    try:
        res = mixed_api.get("/v1/documents", headers={"X-Request-ID": "down-1"})
    finally:
        app.dependency_overrides.pop(get_state)
    assert res.status_code == 503
    assert res.json()["error"] == {
        "code": "store_unavailable",
        "message": "the index is not available: connection refused",
        "request_id": "down-1",
    }


def test_document_search_and_superseded_editions(api: TestClient) -> None:
    found = api.get("/v1/documents", params={"q": "SURVIVING sepsis"}).json()
    editions = {d["doc_id"]: d["superseded"] for d in found["items"]}
    assert found["total"] == len(editions) == 2
    assert editions == {"ssc-2016": True, "ssc-2021": False}
    assert api.get("/v1/documents/ssc-2016").json()["superseded"] is True
    everything = api.get("/v1/documents").json()["items"]
    assert [d["doc_id"] for d in everything if d["superseded"]] == ["ssc-2016"]
    by_org = api.get("/v1/documents", params={"q": "city hospital", "limit": 1}).json()
    assert by_org["total"] >= 1 and len(by_org["items"]) == 1
    assert by_org["items"][0]["organisation"] == "City Hospital"
    none = api.get("/v1/documents", params={"q": "no document says this"}).json()
    assert (none["total"], none["items"]) == (0, [])
    assert api.get("/v1/documents", params={"q": "x" * 201}).status_code == 422
