"""The audit trail of the API in process: one record for every search, ask, chat, upload and delete (refused and
failed ones included), the question kept as a hash unless the operator opts in (then redacted), and 503
``audit_unavailable`` when a record cannot be written."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.api.app import create_app
from rag_service.bootstrap import Components, build_audit
from rag_service.domain.audit import AuditDetails, AuditRecord
from rag_service.settings import Settings
from tests.corpora import RECORDS, SEPSIS_Q
from tests.helpers import components_on, ingest, write_jsonl

pytestmark = pytest.mark.integration

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PHI_Q = (
    "Mr John Smith, MRN 12345678, has septic shock: how much intravenous crystalloid fluid should he receive?"
)
OFF_TOPIC_Q = "What is the boiling point of liquid nitrogen at sea level?"
# Auth is the API-key layer's business; these apps switch it off explicitly to look at the audit trail alone.
OPEN = {"auth": {"enabled": False}, "api": {"allowed_hosts": ["testserver"]}}

App = tuple[TestClient, Components]


def _app(root: Path, embedder: SentenceTransformerEmbedder, **overrides: Any) -> Iterator[App]:
    c = components_on(root / "data", embedder, **OPEN, **overrides)
    c.open_index()
    report = ingest(c, write_jsonl(root / "records.jsonl", RECORDS))
    assert report.ok, report
    with TestClient(create_app(c.settings, components=c)) as client:
        yield client, c


@pytest.fixture(scope="module")
def audited(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[App]:
    """An app over its own index with the default audit settings (question text not kept)."""
    yield from _app(tmp_path_factory.mktemp("audited"), warm_embedder)


@pytest.fixture(scope="module")
def with_text(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[App]:
    """An app whose operator opted in to keeping question text (PHI redaction on, the default)."""
    yield from _app(tmp_path_factory.mktemp("with-text"), warm_embedder, audit={"store_question_text": True})


def call(app: App, method: str, url: str, **kwargs: Any) -> tuple[Any, AuditRecord]:
    """Make one request with a fresh request id; return the response and the one record it wrote."""
    client, c = app
    rid = uuid.uuid4().hex
    res = client.request(method, url, headers={"X-Request-ID": rid}, **kwargs)
    records = [r for r in c.audit.export(EPOCH) if r.request_id == rid]
    assert len(records) == 1, f"{method} {url}: {len(records)} audit records"
    return res, records[0]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_search_is_recorded_with_its_documents_and_no_question_text(audited: App) -> None:
    res, rec = call(audited, "POST", "/v1/search", json={"question": SEPSIS_Q})
    assert res.status_code == 200
    c = audited[1]
    assert (rec.endpoint, rec.method, rec.status, rec.error_code) == ("/v1/search", "POST", 200, None)
    assert rec.key_name == "-"  # no API key layer in front of this app
    assert rec.question_sha256 == sha(SEPSIS_Q) and rec.question_text is None
    found = {r["doc_id"] for r in res.json()["results"]}
    assert {d.doc_id for d in rec.documents} == found and "ssc-2021" in found
    ssc = next(d for d in rec.documents if d.doc_id == "ssc-2021")
    assert ssc.version == "2021" and ssc.content_hash and len(ssc.content_hash) == 16
    assert rec.backend == "search:hybrid" and rec.model == c.embedder.model_id
    assert rec.settings_hash == c.settings.fingerprint()
    assert 0 < rec.latency_ms < 60_000
    assert abs((datetime.now(UTC) - rec.time).total_seconds()) < 60


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_is_recorded_with_its_provenance(audited: App, stream: bool) -> None:
    res, rec = call(audited, "POST", "/v1/ask", json={"question": SEPSIS_Q, "stream": stream})
    assert res.status_code == 200
    assert (rec.endpoint, rec.status) == ("/v1/ask", 200)
    assert rec.question_sha256 == sha(SEPSIS_Q) and rec.question_text is None
    ask = audited[0].post("/v1/ask", json={"question": SEPSIS_Q}).json()
    p = ask["provenance"]
    assert rec.abstention_code is None
    assert [d.doc_id for d in rec.documents] == [d["doc_id"] for d in p["documents"]]
    assert [d.version for d in rec.documents] == [d["version"] for d in p["documents"]]
    assert rec.backend == p["answer_backend"] == "extractive" and rec.model == p["answer_model"]
    assert rec.prompt_hash == p["prompt_hash"] and rec.settings_hash == p["settings_hash"]
    assert rec.support_scorer_version == p["support_scorer_version"]


def test_an_abstention_is_recorded_with_its_code(audited: App) -> None:
    res, rec = call(audited, "POST", "/v1/ask", json={"question": OFF_TOPIC_Q})
    assert res.status_code == 200 and res.json()["abstained"]
    assert rec.abstention_code == res.json()["abstain_reason"]["code"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_completion_is_recorded_by_its_last_user_message(audited: App, stream: bool) -> None:
    messages = [
        {"role": "user", "content": "Tell me about sepsis."},
        {"role": "assistant", "content": "Sepsis is a dysregulated response to infection."},
        {"role": "user", "content": SEPSIS_Q},
    ]
    res, rec = call(
        audited, "POST", "/v1/chat/completions", json={"model": "x", "messages": messages, "stream": stream}
    )
    assert res.status_code == 200
    assert (rec.endpoint, rec.status) == ("/v1/chat/completions", 200)
    assert rec.question_sha256 == sha(SEPSIS_Q)
    assert rec.backend == "extractive" and rec.documents


@pytest.mark.parametrize(
    ("url", "body", "code"),
    [
        ("/v1/ask", {"question": ""}, "invalid_request"),
        ("/v1/search", {"question": "sepsis", "top_k": 10_000}, "invalid_request"),
        (
            "/v1/chat/completions",
            {"model": "x", "messages": [{"role": "assistant", "content": "hi"}]},
            "invalid_request",
        ),
    ],
)
def test_refused_requests_are_recorded_with_status_and_error_code(
    audited: App, url: str, body: dict[str, Any], code: str
) -> None:
    res, rec = call(audited, "POST", url, json=body)
    assert res.status_code == 422
    assert (rec.endpoint, rec.status, rec.error_code) == (url, 422, code)
    assert res.json()["error"]["request_id"] == rec.request_id


def test_an_oversized_body_refused_before_routing_is_recorded(audited: App) -> None:
    client, c = audited
    big = "x" * (c.settings.api.max_body_bytes + 10)
    rid = uuid.uuid4().hex
    res = client.post(
        "/v1/ask", content=big, headers={"X-Request-ID": rid, "Content-Type": "application/json"}
    )
    assert res.status_code == 413
    (rec,) = [r for r in c.audit.export(EPOCH) if r.request_id == rid]
    assert (rec.endpoint, rec.status, rec.error_code) == ("/v1/ask", 413, "payload_too_large")


def test_upload_and_delete_are_recorded_with_the_documents_they_changed(audited: App) -> None:
    note = b"# Hyperkalaemia\n\nFor potassium above 6.5 mmol/L give 10 mL of 10% calcium gluconate over 10 minutes.\n"
    files = [
        ("files", ("hyperkalaemia.md", note, "text/markdown")),
        ("files", ("empty.txt", b"", "text/plain")),
    ]
    res, rec = call(audited, "POST", "/v1/documents", files=files)
    assert res.status_code == 200
    assert (rec.endpoint, rec.method, rec.status) == ("/v1/documents", "POST", 200)
    assert rec.affected_doc_ids == ("hyperkalaemia.md",) and rec.question_sha256 is None
    assert rec.counts["files"] == 2 and rec.counts["ingested"] == 1 and rec.counts["failed"] == 1
    assert rec.counts["passages"] >= 1

    res, rec = call(audited, "DELETE", "/v1/documents/hyperkalaemia.md")
    assert res.status_code == 200
    assert (rec.endpoint, rec.method, rec.status) == ("/v1/documents/{doc_id}", "DELETE", 200)
    assert rec.affected_doc_ids == ("hyperkalaemia.md",)
    assert rec.counts["chunks_removed"] == res.json()["chunks_removed"] >= 1
    assert rec.documents[0].doc_id == "hyperkalaemia.md" and rec.documents[0].content_hash

    res, rec = call(audited, "DELETE", "/v1/documents/hyperkalaemia.md")
    assert res.status_code == 404
    assert (rec.status, rec.error_code, rec.affected_doc_ids) == (
        404,
        "document_not_found",
        ("hyperkalaemia.md",),
    )


def test_reads_that_are_not_audited_write_nothing(audited: App) -> None:
    client, c = audited
    before = sum(1 for _ in c.audit.export(EPOCH))
    for url in ("/v1/documents", "/v1/documents/ssc-2021", "/healthz", "/v1/models", "/metrics"):
        assert client.get(url).status_code == 200, url
    assert client.get("/v1/ask").status_code == 405
    assert sum(1 for _ in c.audit.export(EPOCH)) == before


def test_opted_in_question_text_is_stored_redacted(with_text: App) -> None:
    res, rec = call(with_text, "POST", "/v1/ask", json={"question": PHI_Q})
    assert res.status_code == 200
    assert rec.question_sha256 == sha(PHI_Q)
    assert rec.question_text is not None and "septic shock" in rec.question_text
    assert "Smith" not in rec.question_text and "12345678" not in rec.question_text
    assert "[NAME]" in rec.question_text and "[MRN]" in rec.question_text


def test_a_record_that_cannot_be_written_fails_the_request_closed(audited: App, tmp_path: Path) -> None:
    client, c = audited
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the audit database's folder should be")
    broken = build_audit(
        c.settings.model_copy(
            update={
                "audit": c.settings.audit.model_copy(
                    update={"database_url": f"sqlite:///{blocker}/audit.sqlite3"}
                )
            }
        )
    )
    kept, c.audit = c.audit, broken
    try:
        for body in ({"question": SEPSIS_Q}, {"question": SEPSIS_Q, "stream": True}):
            res = client.post("/v1/ask", json=body)
            assert res.status_code == 503, res.text
            error = res.json()["error"]
            assert error["code"] == "audit_unavailable" and error["request_id"] == res.headers["x-request-id"]
            assert "septic" not in res.text
        assert client.get("/v1/documents").status_code == 200  # what is not audited still works
        metrics = client.get("/metrics").text
        assert "rag_audit_write_failures_total 2.0" in metrics
    finally:
        c.audit = kept
    res, rec = call(audited, "POST", "/v1/search", json={"question": SEPSIS_Q})
    assert res.status_code == 200 and rec.status == 200


def test_a_request_refused_for_want_of_an_api_key_is_recorded(
    tmp_path: Path, warm_embedder: SentenceTransformerEmbedder
) -> None:
    c = components_on(
        tmp_path / "data", warm_embedder, auth={"enabled": True}, api={"allowed_hosts": ["testserver"]}
    )
    with TestClient(create_app(c.settings, components=c)) as client:
        res, rec = call((client, c), "POST", "/v1/search", json={"question": SEPSIS_Q})
    assert res.status_code == 401
    assert (rec.endpoint, rec.status, rec.error_code) == ("/v1/search", 401, res.json()["error"]["code"])
    assert rec.key_name == "-" and rec.question_sha256 is None  # the route never ran


def test_with_redaction_off_opted_in_text_is_kept_as_typed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, privacy={"redaction": "off"}, audit={"store_question_text": True})
    audit = build_audit(settings)
    try:
        kept = audit.record(
            key_name="k",
            endpoint="/v1/ask",
            method="POST",
            request_id="r",
            status=200,
            latency_ms=1.0,
            details=AuditDetails(question=PHI_Q),
        )
        assert kept is not None and list(audit.export(EPOCH)) == [kept]
        assert kept.question_text == PHI_Q and kept.question_sha256 == sha(PHI_Q)
    finally:
        audit.close()


def test_a_database_url_that_is_not_sql_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match=r"audit\.database_url must be"):
        Settings(audit={"database_url": "mysql://db/audit"})
