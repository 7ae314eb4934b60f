"""The console scripts and the HTTP service as a user runs them: real processes, real HTTP over loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BIN, free_port, rag_serve, shared, wait_http
from tests.integration.corpus import BAD, GOOD, write_corpus

pytestmark = pytest.mark.integration


def run_cli(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "rag-ingest"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def data_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("api-data")
    return {**os.environ, "RAG_DATA_DIR": str(data / "rag-data")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("api-corpus") / "corpus")


@pytest.fixture(scope="module")
def ingested(data_env: dict[str, str], corpus: Path) -> dict[str, object]:
    result = run_cli("--json", str(corpus), env=data_env)
    assert result.returncode == 1, result.stderr  # some files are bad on purpose
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_ingest_cli_prints_the_json_summary(ingested: dict[str, object]) -> None:
    for key in ("files_seen", "ingested", "unchanged", "failed", "chunks_written", "seconds"):
        assert key in ingested
    assert ingested["files_seen"] == len(GOOD) + len(BAD)
    assert ingested["ingested"] == len(GOOD)
    failed = ingested["failed"]
    assert isinstance(failed, list)
    assert {Path(f["path"]).name for f in failed} == set(BAD)
    assert all(f["reason"] for f in failed)


def test_ingest_cli_list_check_delete(
    ingested: dict[str, object], data_env: dict[str, str], corpus: Path
) -> None:
    listed = json.loads(run_cli("--list", "--json", env=data_env).stdout)
    ids = {d["doc_id"] for d in listed}
    assert {"sepsis.md", "bulk-1", "pmid-22222222", "labels--warfarin.pdf"} <= ids
    check = run_cli("--check", "--json", env=data_env)
    assert check.returncode == 0 and json.loads(check.stdout)["ok"] is True

    again = run_cli("--json", str(corpus), env=data_env)
    summary = json.loads(again.stdout)
    assert summary["unchanged"] == len(GOOD) and summary["chunks_written"] == 0

    gone = run_cli("--delete", "notes.txt", "no-such-doc", "--json", env=data_env)
    assert gone.returncode == 1
    assert json.loads(gone.stdout)["deleted"] == ["notes.txt"]
    assert json.loads(gone.stdout)["not_found"] == ["no-such-doc"]
    human = run_cli(str(corpus / "notes.txt"), env=data_env)
    assert human.returncode == 0
    assert "files seen" in human.stdout and "chunks written" in human.stdout


def test_bad_arguments_get_a_usage_error(data_env: dict[str, str]) -> None:
    assert run_cli(env=data_env).returncode == 2
    bad = run_cli("--meta", "novalue", "x", env=data_env)
    assert bad.returncode == 2 and "KEY=VALUE" in bad.stderr


@pytest.fixture(scope="module")
def service(ingested: dict[str, object], data_env: dict[str, str]) -> Iterator[str]:
    with rag_serve(data_env) as base:
        yield base


def test_health_and_readiness(service: str) -> None:
    assert httpx.get(f"{service}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{service}/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["checks"] == {
        "embedder": "ok",
        "store": "ok",
        "lexical_index": "ok",
    }
    assert body["documents"] >= 8 and body["collection"].startswith("rag_all-minilm-l6-v2")


def test_document_listing_pages_and_provenance(service: str) -> None:
    first = httpx.get(f"{service}/v1/documents", params={"limit": 3}).json()
    second = httpx.get(f"{service}/v1/documents", params={"limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] >= 8
    assert len(first["items"]) == 3
    assert not {d["doc_id"] for d in first["items"]} & {d["doc_id"] for d in second["items"]}
    label = httpx.get(f"{service}/v1/documents/labels--warfarin.pdf").json()
    assert label["doc_type"] == "drug_label" and label["organisation"] == "FDA" and label["chunk_count"] > 0


def test_errors_share_one_envelope(service: str) -> None:
    missing = httpx.get(f"{service}/v1/documents/nope", headers={"X-Request-ID": "req-123"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "document_not_found"
    assert missing.json()["error"]["request_id"] == "req-123" == missing.headers["x-request-id"]
    bad = httpx.get(f"{service}/v1/documents", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    assert bad.json()["error"]["details"][0]["field"] == "query.limit"
    unknown = httpx.get(f"{service}/v2/nothing")
    assert unknown.status_code == 404 and "error" in unknown.json()


def test_delete_over_http_removes_the_document(service: str) -> None:
    before = httpx.get(f"{service}/v1/documents").json()["total"]
    gone = httpx.delete(f"{service}/v1/documents/bulk-3")
    assert gone.status_code == 200 and gone.json()["chunks_removed"] >= 1
    assert httpx.get(f"{service}/v1/documents/bulk-3").status_code == 404
    assert httpx.get(f"{service}/v1/documents").json()["total"] == before - 1
    assert httpx.get(f"{service}/readyz").json()["checks"]["lexical_index"] == "ok"


def test_service_without_its_store_stays_up_and_says_why(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path),
        "RAG_STORE__HOST": "127.0.0.1",
        "RAG_STORE__PORT": str(free_port()),
    }
    proc = subprocess.Popen([str(BIN / "rag-serve"), "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc=proc)
        deadline = time.monotonic() + 120
        while "embedder" not in httpx.get(f"{base}/readyz").text and time.monotonic() < deadline:
            time.sleep(0.5)
        assert httpx.get(f"{base}/healthz").status_code == 200
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["store"].startswith("unavailable")
        docs = httpx.get(f"{base}/v1/documents", timeout=30)
        assert docs.status_code == 503 and docs.json()["error"]["code"] == "store_unavailable"
        found = httpx.post(f"{base}/v1/search", json={"question": "sepsis fluids"}, timeout=30)
        assert found.status_code == 503 and found.json()["error"]["code"] == "store_unavailable"
        assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_ctrl_c_mid_ingest_leaves_nothing_half_written(tmp_path: Path) -> None:
    archive = shared("medquad.tar.gz")
    root = tmp_path / "medquad"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "5_NIDDK_QA" in m.name and m.isfile()][:30]
        tar.extractall(root, members=members, filter="data")
    for xml in root.rglob("*.xml"):  # a few MedQuAD files have no answered pair; they would fail on purpose
        if not re.search(r"<Answer>\s*[^<\s]", xml.read_text()):
            xml.unlink()
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"), "RAG_INGEST__BATCH_CHUNKS": "16"}
    proc = subprocess.Popen(
        [str(BIN / "rag-ingest"), "--json", str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test run started in the background (`cmd &` in a script) inherits SIGINT as ignored, and Python
        # then installs no Ctrl-C handler in the child; give it the default disposition, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    catalog = tmp_path / "data" / "index"
    deadline = time.monotonic() + 300
    # Interrupt once some documents are written but well before the end.
    while time.monotonic() < deadline and proc.poll() is None:
        dbs = list(catalog.glob("*/catalog.sqlite3"))
        if dbs and _complete_docs(dbs[0]) >= 10:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    interrupted = json.loads(out)
    assert interrupted["interrupted"] is True

    rerun = run_cli("--json", str(root), env=env)
    summary = json.loads(rerun.stdout)
    assert rerun.returncode == 0, summary["failed"][:3]
    assert summary["unchanged"] >= 1 and summary["ingested"] >= 1
    check = run_cli("--check", "--json", env=env)
    assert json.loads(check.stdout)["ok"] is True, check.stdout


def _complete_docs(db: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM documents WHERE status = 'complete'").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_demo_corpus_ingests_cleanly_with_its_disclaimer(tmp_path: Path) -> None:
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("--demo", "--json", env=env)
    summary = json.loads(result.stdout)
    assert result.returncode == 0, summary["failed"][:3]
    assert summary["files_seen"] >= 100 and summary["ingested"] == summary["files_seen"]
    listed = json.loads(run_cli("--list", "--json", env=env).stdout)
    sepsis = next(d for d in listed if d["doc_id"] == "open-medicine.sepsis3_2016.sepsis_definition")
    assert sepsis["doc_type"] == "guideline" and sepsis["year"] == 2016 and sepsis["doi"]
    assert "not for clinical use" in sepsis["extra"]["disclaimer"].lower()
