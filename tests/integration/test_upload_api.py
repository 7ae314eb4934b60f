"""POST /v1/documents in process over a fresh index: one result per file, the good ones searchable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from tests.helpers import MakeComponents

pytestmark = pytest.mark.integration

GOOD = b"""---
title: Hyperkalaemia protocol
doc_type: protocol
organisation: Riverside Hospital
year: 2024
---
# Emergency treatment

For potassium above 6.5 mmol/L give 10 mL of 10% calcium gluconate intravenously over 10 minutes.
"""
NOTES = b"Dialysis patients with hyperkalaemia need urgent nephrology review within one hour."


@pytest.fixture
def client(make_components: MakeComponents) -> Iterator[TestClient]:
    c = make_components(ingest={"max_file_mb": 0.002})  # about 2 KB: small enough to test the limit
    with TestClient(create_app(c.settings, components=c)) as client:
        yield client


def upload(client: TestClient, *files: tuple[str, bytes, str]) -> list[dict[str, object]]:
    res = client.post("/v1/documents", files=[("files", f) for f in files])
    assert res.status_code == 200, res.text
    results: list[dict[str, object]] = res.json()["files"]
    assert [r["filename"] for r in results] == [f[0] for f in files]
    return results


def test_each_file_gets_its_own_result_and_the_good_ones_are_searchable(client: TestClient) -> None:
    good, corrupt, wrong, empty, large, notes = upload(
        client,
        ("hyperkalaemia.md", GOOD, "text/markdown"),
        ("scan.pdf", b"%PDF-1.7 this is not really a PDF", "application/pdf"),
        ("setup.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("empty.txt", b"", "text/plain"),
        ("large.txt", b"word " * 1000, "text/plain"),
        ("../../notes.txt", NOTES, "text/plain"),
    )
    assert good["status"] == "ingested" and good["doc_ids"] == ["hyperkalaemia.md"] and good["error"] is None
    assert isinstance(good["passages"], int) and good["passages"] >= 1
    assert notes["status"] == "ingested" and notes["doc_ids"] == ["notes.txt"]
    for bad, words in (
        (corrupt, "PDF"),
        (wrong, "unsupported file type .exe"),
        (empty, "empty"),
        (large, "limit"),
    ):
        assert bad["status"] == "failed" and bad["doc_ids"] == [] and bad["passages"] == 0
        assert words in str(bad["error"]), bad

    found = client.post("/v1/search", json={"question": "calcium gluconate dose for high potassium"}).json()
    assert found["results"][0]["doc_id"] == "hyperkalaemia.md"
    assert found["results"][0]["organisation"] == "Riverside Hospital"
    facets = client.get("/v1/facets").json()
    assert facets["documents"] == 2 and {"value": "Riverside Hospital", "count": 1} in facets["organisations"]
    assert client.get("/readyz").status_code == 200

    [again] = upload(client, ("hyperkalaemia.md", GOOD, "text/markdown"))
    assert again["status"] == "unchanged" and again["doc_ids"] == ["hyperkalaemia.md"]
    [changed] = upload(
        client, ("hyperkalaemia.md", GOOD.replace(b"10 minutes", b"5 minutes"), "text/markdown")
    )
    assert changed["status"] == "ingested"
    [broken] = upload(client, ("hyperkalaemia.md", b"", "text/markdown"))
    assert broken["status"] == "failed"
    # A failed re-upload leaves the earlier edition in place.
    assert client.get("/v1/documents/hyperkalaemia.md").status_code == 200
    assert client.delete("/v1/documents/hyperkalaemia.md").json()["chunks_removed"] >= 1
    assert client.get("/v1/facets").json()["documents"] == 1


def test_an_upload_without_files_is_422(client: TestClient) -> None:
    res = client.post("/v1/documents", data={"note": "x"})
    assert res.status_code == 422 and res.json()["error"]["code"] == "invalid_request"
    assert client.post("/v1/documents").status_code == 422
