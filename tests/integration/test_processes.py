"""The few checks that need real processes: the console scripts as a user runs them.

Each test starts one process and checks as much as it can against it: a Ctrl-C can only reach a process, the
demo corpus is what a first-time user ingests with the installed script, and the served app is checked with
the logging and start-up of `rag-serve` itself (with its store, and without one). Everything else about the
API runs in process (test_*_api.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.cli import main as rag_ingest
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from tests.corpora import RECORDS, SEPSIS_Q
from tests.helpers import BIN, components_on, free_port, ingest, rag_serve, run_main, shared, write_jsonl

pytestmark = [pytest.mark.integration, pytest.mark.process]

SECRET_QUESTION = "Patient Jane Roe 1970-01-02 metformin lactic acidosis risk?"


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[str, Path]]:
    """One `rag-serve` over the RECORDS corpus (ingested in process); yields its URL and its log file."""
    root = tmp_path_factory.mktemp("served")
    c = components_on(root / "data", warm_embedder)
    c.open_index()
    assert ingest(c, write_jsonl(root / "records.jsonl", RECORDS)).ok
    c.close()
    log = root / "serve.log"
    with rag_serve({"RAG_DATA_DIR": str(root / "data")}, log) as base:
        yield base, log


def test_rag_serve_is_ready_and_answers_over_loopback(served: tuple[str, Path]) -> None:
    base, _ = served
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == len(RECORDS)
    found = httpx.post(f"{base}/v1/search", json={"question": "warfarin genotype"}, timeout=60)
    assert found.status_code == 200 and found.json()["results"][0]["doc_id"] == "pmid-2"
    streamed = httpx.post(f"{base}/v1/ask", json={"question": SEPSIS_Q, "stream": True}, timeout=60)
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert streamed.text.startswith("event: meta") and "event: done" in streamed.text


def test_rag_serve_refuses_a_chunked_body_over_the_limit_and_keeps_serving(served: tuple[str, Path]) -> None:
    base, _ = served

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'"}'

    streamed = httpx.post(f"{base}/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large"
    assert httpx.post(f"{base}/v1/search", json={"question": "warfarin genotype"}).status_code == 200


def test_question_text_never_reaches_the_log(served: tuple[str, Path]) -> None:
    base, log = served
    assert httpx.post(f"{base}/v1/search", json={"question": SECRET_QUESTION}, timeout=60).status_code == 200
    assert (
        httpx.post(f"{base}/v1/search", json={"question": SECRET_QUESTION, "top_k": 9999}).status_code == 422
    )
    asked = httpx.post(f"{base}/v1/ask", json={"question": SECRET_QUESTION}, timeout=60)
    assert asked.status_code == 200
    text = log.read_text(errors="replace")
    assert "POST /v1/search 200" in text and "POST /v1/ask 200" in text
    assert "Jane" not in text and "1970-01-02" not in text


def test_service_without_its_store_stays_up_and_says_why(tmp_path: Path) -> None:
    env = {
        "RAG_DATA_DIR": str(tmp_path),
        "RAG_STORE__HOST": "127.0.0.1",
        "RAG_STORE__PORT": str(free_port()),
    }
    with rag_serve(env, ready=False) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["store"].startswith("unavailable")
        docs = httpx.get(f"{base}/v1/documents", timeout=30)
        assert docs.status_code == 503 and docs.json()["error"]["code"] == "store_unavailable"
        found = httpx.post(f"{base}/v1/search", json={"question": "sepsis fluids"}, timeout=30)
        assert found.status_code == 503 and found.json()["error"]["code"] == "store_unavailable"
        assert httpx.get(f"{base}/healthz").status_code == 200


def _complete_docs(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM documents WHERE status = 'complete'").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_ctrl_c_mid_ingest_leaves_nothing_half_written(tmp_path: Path) -> None:
    archive = shared("medquad.tar.gz")
    root = tmp_path / "medquad"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "5_NIDDK_QA" in m.name and m.isfile()][:30]
        tar.extractall(root, members=members, filter="data")
    for xml in root.rglob("*.xml"):  # a few MedQuAD files have no answered pair; they would fail on purpose
        if not re.search(r"<Answer>\s*[^<\s]", xml.read_text()):
            xml.unlink()
    data = tmp_path / "data"
    env = {**os.environ, "RAG_DATA_DIR": str(data), "RAG_INGEST__BATCH_CHUNKS": "16"}
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
    catalog = data / "index"
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

    # The rerun and the check need no new process: the entry function on the same data directory.
    code, out, _ = run_main(rag_ingest, "--json", "--data-dir", str(data), str(root))
    summary = json.loads(out)
    assert code == 0, summary["failed"][:3]
    assert summary["unchanged"] >= 1 and summary["ingested"] >= 1
    code, out, _ = run_main(rag_ingest, "--check", "--json", "--data-dir", str(data))
    assert code == 0 and json.loads(out)["ok"] is True, out


def test_demo_corpus_ingests_cleanly_with_its_disclaimer(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = subprocess.run(
        [str(BIN / "rag-ingest"), "--demo", "--json"],
        env={**os.environ, "RAG_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    summary = json.loads(result.stdout)
    assert result.returncode == 0, summary["failed"][:3]
    assert summary["files_seen"] >= 100 and summary["ingested"] == summary["files_seen"]
    _, out, _ = run_main(rag_ingest, "--list", "--json", "--data-dir", str(data))
    sepsis = next(d for d in json.loads(out) if d["doc_id"] == "open-medicine.sepsis3_2016.sepsis_definition")
    assert sepsis["doc_type"] == "guideline" and sepsis["year"] == 2016 and sepsis["doi"]
    assert "not for clinical use" in sepsis["extra"]["disclaimer"].lower()
