"""``llm``: the answer backend ``openai`` with its LLM server down, or slower than ``RAG_LLM__TIMEOUT_S``.

For each case the service is started twice, with ``answer.fallback_to_extractive`` off and on, over a few
PubMedQA abstracts, and asked their questions on ``/v1/ask`` (plain and streamed) and
``/v1/chat/completions``. What counts as clean: with the fallback off, a 502 (``down``) or 504 (``slow``) in
the error envelope; with it on, a 200 whose provenance names the fallback (``fallback_from``). The ``up``
case (the scripted LLM answering at once, full mode only) shows the setup itself works.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from eval.faults.corpus import PUBMEDQA, abstracts
from eval.faults.index import ingested
from eval.faults.keys import Auth
from eval.faults.load import error_code
from eval.faults.procs import base_env, free_port, rag_serve, stop

TIMEOUT_S = 2.0
EXPECTED_STATUS = {"down": 502, "slow": 504, "up": 200}


def _scripted(port: int, delay_s: float, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "eval.scripted_llm",
                "--scenario",
                "faithful",
                "--pubmedqa",
                str(PUBMEDQA),
                "--port",
                str(port),
                "--delay-s",
                str(delay_s),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit("the scripted LLM server did not start")


def _judge(case: str, fallback: bool, status: int, code: str | None, provenance: dict[str, Any]) -> bool:
    if case == "up":
        return status == 200 and provenance.get("answer_backend") == "openai"
    if fallback:
        return status == 200 and bool(provenance.get("fallback_from"))
    return status == EXPECTED_STATUS[case] and code is not None


def _ask_all(base: str, auth: Auth, qs: list[str], case: str, fallback: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with httpx.Client(base_url=base, headers=auth.headers("reader"), timeout=120) as client:
        for i, q in enumerate(qs):
            kind = ("ask", "ask_stream", "chat")[i % 3]
            started = time.monotonic()
            if kind == "chat":
                res = client.post(
                    "/v1/chat/completions",
                    json={"model": "rag", "messages": [{"role": "user", "content": q}]},
                )
                body = _json(res)
                provenance = (body.get("rag") or {}).get("provenance") or {}
            elif kind == "ask_stream":
                res = client.post("/v1/ask", json={"question": q, "stream": True})
                body = {}
                provenance = {"fallback_from": "?"} if "fallback_from" in res.text else {}
                if '"answer_backend": "openai"' in res.text or '"answer_backend":"openai"' in res.text:
                    provenance["answer_backend"] = "openai"
            else:
                res = client.post("/v1/ask", json={"question": q})
                body = _json(res)
                provenance = body.get("provenance") or {}
            seconds = round(time.monotonic() - started, 2)
            code = error_code(res)
            stream_error = kind == "ask_stream" and "event: error" in res.text
            rows.append(
                {
                    "case": case,
                    "fallback": fallback,
                    "endpoint": kind,
                    "status": res.status_code,
                    "code": code or ("stream error event" if stream_error else None),
                    "backend": provenance.get("answer_backend")
                    or ("fallback" if provenance.get("fallback_from") else None),
                    "fallback_reason": provenance.get("fallback_reason"),
                    "abstained": body.get("abstained"),
                    "seconds": seconds,
                    "clean": _judge(case, fallback, res.status_code, code, provenance)
                    or (stream_error and not fallback and case != "up"),
                    "body_head": res.text[:300] if res.status_code != 200 or stream_error else None,
                }
            )
    return rows


def _json(res: httpx.Response) -> dict[str, Any]:
    try:
        body = res.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def run(workdir: Path, quick: bool) -> dict[str, Any]:
    """Run every case; returns the report section."""
    n_docs, n_questions = (3, 3) if quick else (12, 6)
    sources = abstracts()[:n_docs]
    auth, _ = ingested(workdir, sources, "l")
    data = workdir / "data"
    qs = [s.title for s in sources][:n_questions]
    qs = (qs * 3)[:n_questions]
    rows: list[dict[str, Any]] = []
    cases = ("down", "slow") if quick else ("down", "slow", "up")
    for case in cases:
        port = free_port()
        llm_proc = None
        if case != "down":
            llm_proc = _scripted(port, TIMEOUT_S * 3 if case == "slow" else 0.0, workdir / "llm.log")
        try:
            for fallback in (False, True):
                if case == "up" and fallback:
                    continue
                env = base_env(
                    data,
                    {
                        **auth.env(),
                        "RAG_ANSWER__BACKEND": "openai",
                        "RAG_ANSWER__FALLBACK_TO_EXTRACTIVE": "true" if fallback else "false",
                        "RAG_LLM__BASE_URL": f"http://127.0.0.1:{port}/v1",
                        "RAG_LLM__MODEL": "scripted",
                        "RAG_LLM__TIMEOUT_S": str(TIMEOUT_S),
                        "RAG_LLM__MAX_RETRIES": "1",
                    },
                )
                with rag_serve(env, workdir / "serve.log") as svc:
                    rows += _ask_all(svc.base, auth, qs, case, fallback)
        finally:
            if llm_proc is not None:
                stop(llm_proc)
    return {
        "auth": auth.describe(),
        "llm_timeout_s": TIMEOUT_S,
        "llm_max_retries": 1,
        "slow_delay_s": TIMEOUT_S * 3,
        "requests": len(rows),
        "clean": sum(r["clean"] for r in rows),
        "server_errors_5xx_other_than_502_504": sum(
            r["status"] >= 500 and r["status"] not in (502, 503, 504) for r in rows
        ),
        "rows": rows,
    }
