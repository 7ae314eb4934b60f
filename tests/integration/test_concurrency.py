"""Several processes on one data directory, and clients that are slow, impatient or too many.

* Embedded Chroma is owned by one process: `rag-ingest` and a second `rag-serve` are refused while
  `rag-serve` holds the data directory; the read-only `rag-ingest --check` still runs.
* With a Chroma server, two `rag-serve` processes and an ingest share it, and both services find what the
  ingest added by keyword as well as by meaning (the BM25 index is reloaded when the catalog moves on).
* A slowloris connection is closed while others are served; a slow body gets 408; a client that goes away
  stops its answer before the next step; a burst beyond the answer slots gets 503 overloaded while
  `/healthz` still answers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from ingest.cli import main as rag_ingest
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from tests import fake_llm
from tests.corpora import RECORDS, SEPSIS_Q
from tests.helpers import (
    BIN,
    components_on,
    free_port,
    ingest,
    llm_env,
    rag_serve,
    run_main,
    serve_in_thread,
    write_jsonl,
)

pytestmark = [pytest.mark.integration, pytest.mark.process]

OPEN = {"RAG_AUTH__ENABLED": "false"}
NEW_DOC = {
    "id": "zorbamycin-label",
    "title": "Zorbamycin prescribing information",
    "text": "Zorbamycin is an antibiotic. The usual adult dose of zorbamycin is 250 mg twice daily for 7 days.",
    "doc_type": "drug_label",
    "year": 2024,
}


def _one_line(text: str) -> str:
    return " ".join(text.split())  # rich wraps long messages at the console width


@pytest.fixture
def records_data(tmp_path: Path, warm_embedder: SentenceTransformerEmbedder) -> Path:
    """A data directory (embedded Chroma) holding the RECORDS corpus."""
    c = components_on(tmp_path / "data", warm_embedder)
    c.open_index()
    assert ingest(c, write_jsonl(tmp_path / "records.jsonl", RECORDS)).ok
    c.close()
    return tmp_path / "data"


def test_an_embedded_data_directory_has_one_owner(records_data: Path, tmp_path: Path) -> None:
    env = {**OPEN, "RAG_DATA_DIR": str(records_data)}
    new = write_jsonl(tmp_path / "new.jsonl", [NEW_DOC])
    with rag_serve(env) as base:
        code, _, err = run_main(rag_ingest, "--data-dir", str(records_data), str(new))
        refusal = _one_line(err)
        assert code == 2, err
        assert re.search(
            r"cannot ingest or delete: rag-serve \(pid \d+ on [^)]+\) is using this data", refusal
        )
        assert "POST /v1/documents" in refusal and "RAG_STORE__HOST" in refusal
        code, _, err = run_main(rag_ingest, "--delete", "pmid-2", "--data-dir", str(records_data))
        assert code == 2 and "rag-serve (pid" in _one_line(err)

        code, out, _ = run_main(rag_ingest, "--check", "--json", "--data-dir", str(records_data))
        assert code == 0 and json.loads(out)["documents"] == len(RECORDS)

        second = subprocess.run(
            [str(BIN / "rag-serve"), "--port", str(free_port())],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == 2 and "cannot serve: rag-serve (pid" in _one_line(second.stderr)

        ready = httpx.get(f"{base}/readyz", timeout=30).json()
        assert ready["status"] == "ready" and ready["documents"] == len(RECORDS)
    # Once the service has stopped, the ingest goes ahead.
    code, out, _ = run_main(rag_ingest, "--json", "--data-dir", str(records_data), str(new))
    assert code == 0 and json.loads(out)["documents_written"] == 1


def _lexical_hits(base: str, question: str) -> list[str]:
    res = httpx.post(f"{base}/v1/search", json={"question": question, "mode": "lexical"}, timeout=60)
    assert res.status_code == 200, res.text
    return [r["doc_id"] for r in res.json()["results"]]


def test_two_services_and_an_ingest_share_a_chroma_server(
    chroma_server: tuple[str, int], tmp_path: Path, warm_embedder: SentenceTransformerEmbedder
) -> None:
    host, port = chroma_server
    prefix = f"conc{uuid.uuid4().hex[:8]}"
    store = {"host": host, "port": port, "collection_prefix": prefix}
    data = tmp_path / "data"
    c = components_on(data, warm_embedder, store=store)
    c.open_index()
    assert ingest(c, write_jsonl(tmp_path / "records.jsonl", RECORDS)).ok
    env = {
        **OPEN,
        "RAG_DATA_DIR": str(data),
        "RAG_STORE__HOST": host,
        "RAG_STORE__PORT": str(port),
        "RAG_STORE__COLLECTION_PREFIX": prefix,
    }
    with rag_serve(env) as first, rag_serve(env) as second:
        for base in (first, second):
            assert "zorbamycin-label" not in _lexical_hits(base, "zorbamycin dose")
        # The ingest (holding the writer lock, as rag-ingest does) adds a document while both serve.
        with c.writer_lock():
            assert ingest(c, write_jsonl(tmp_path / "new.jsonl", [NEW_DOC])).ok
        chunks = c.catalog.chunk_count()
        for base in (first, second):
            assert _lexical_hits(base, "zorbamycin dose")[0] == "zorbamycin-label"
            ready = httpx.get(f"{base}/readyz", timeout=30).json()
            assert ready["checks"]["lexical_index"] == "ok" and ready["chunks"] == chunks
        # A delete through one service is seen by the other.
        gone = httpx.delete(f"{first}/v1/documents/zorbamycin-label", timeout=60)
        assert gone.status_code == 200, gone.text
        assert "zorbamycin-label" not in _lexical_hits(second, "zorbamycin dose")
    c.close()


# --- slow, impatient and too many clients ------------------------------------------------------------------

SLOW = "slowdraft"  # a question holding this word is drafted after DRAFT_DELAY_S by the LLM below
DRAFT_DELAY_S = 3.0
llm = FastAPI()
llm_calls: list[str] = []


@llm.post("/v1/chat/completions")
async def _completion(request: Request) -> dict[str, Any]:
    body = await request.json()
    messages = body["messages"]
    judge = "supports statements" in messages[0]["content"]
    slow = not judge and any(SLOW in str(m["content"]) for m in messages)
    llm_calls.append("judge" if judge else "draft-slow" if slow else "draft")
    if slow:
        await asyncio.sleep(DRAFT_DELAY_S)
    content = fake_llm.reply_for(messages)
    message = {"role": "assistant", "content": content}
    return {
        "id": "chatcmpl-slow",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "slow"),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture(scope="module")
def guarded(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[str, Path]]:
    """`rag-serve` answering through the slow LLM (judged by it too), with short client timeouts and two
    answer slots; yields its URL and its log."""
    root = tmp_path_factory.mktemp("guarded")
    c = components_on(root / "data", warm_embedder)
    c.open_index()
    assert ingest(c, write_jsonl(root / "records.jsonl", RECORDS)).ok
    c.close()
    log = root / "serve.log"
    with serve_in_thread(llm) as llm_base:
        env = {
            **OPEN,
            **llm_env(f"{llm_base}/v1"),
            "RAG_LLM__TIMEOUT_S": "30",
            "RAG_ANSWER__SUPPORT_SCORER": "llm_judge",
            "RAG_PRIVACY__REDACTION": "off",
            "RAG_DATA_DIR": str(root / "data"),
            "RAG_API__HEADER_TIMEOUT_S": "2",
            "RAG_API__BODY_TIMEOUT_S": "2",
            "RAG_API__MAX_CONCURRENT_ANSWERS": "2",
            "RAG_API__ANSWER_QUEUE_S": "0",
        }
        with rag_serve(env, log) as base:
            yield base, log


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=15)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_slowloris_connection_is_closed_while_others_are_served(guarded: tuple[str, Path]) -> None:
    base, _ = guarded
    sock = _connect(base)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    closed_after = None
    try:
        for i in range(40):  # one more header line every 0.25 s: would go on for 10 s
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            sock.sendall(f"X-Slow-{i}: x\r\n".encode())
            time.sleep(0.25)
    except OSError:  # the server closed the connection: writing to it fails
        closed_after = time.monotonic() - started
    reply = b""
    with contextlib.suppress(OSError):
        reply = _read_all(sock)
    sock.close()
    assert closed_after is not None, "the slow request head was never cut off"
    assert closed_after < 8 and (reply == b"" or reply.startswith(b"HTTP/1.1 408"))
    # A connection that sends nothing at all is closed too.
    idle = _connect(base)
    assert _read_all(idle) == b""
    idle.close()


def test_a_body_sent_too_slowly_gets_408(guarded: tuple[str, Path]) -> None:
    base, _ = guarded
    sock = _connect(base)
    sock.sendall(
        b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 60\r\n\r\n" + b'{"question": "sep'
    )
    reply = _read_all(sock).decode()
    sock.close()
    assert reply.startswith("HTTP/1.1 408")
    assert json.loads(reply.split("\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"
    assert httpx.post(f"{base}/v1/search", json={"question": SEPSIS_Q}, timeout=60).status_code == 200


def test_a_client_that_goes_away_stops_its_answer(guarded: tuple[str, Path]) -> None:
    base, log = guarded
    llm_calls.clear()
    answered = httpx.post(f"{base}/v1/ask", json={"question": SEPSIS_Q}, timeout=60)
    assert answered.status_code == 200 and not answered.json()["abstained"]
    assert llm_calls == ["draft", "judge"]  # an answer that runs to the end is judged

    llm_calls.clear()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/v1/ask", json={"question": f"{SEPSIS_Q} ({SLOW})"}, timeout=1.5)
    time.sleep(DRAFT_DELAY_S + 2)
    assert "judge" not in llm_calls, llm_calls
    assert "answer cancelled before" in log.read_text()


def test_a_burst_beyond_the_answer_slots_is_refused_and_liveness_still_answers(
    guarded: tuple[str, Path],
) -> None:
    base, _ = guarded

    def ask(_: int) -> httpx.Response:
        return httpx.post(f"{base}/v1/ask", json={"question": f"{SEPSIS_Q} ({SLOW})"}, timeout=60)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(ask, i) for i in range(4)]
        time.sleep(1.0)  # the answers are waiting for the slow LLM now
        live = [httpx.get(f"{base}/healthz", timeout=2) for _ in range(5)]
        results = [f.result() for f in futures]
    assert all(r.status_code == 200 for r in live)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 200, 503, 503], statuses
    refused = next(r for r in results if r.status_code == 503)
    assert refused.json()["error"]["code"] == "overloaded" and refused.headers["retry-after"] == "2"
