"""``chroma``: stop the Chroma server under light load for a while, start it again, and watch the answers.

A real ``chroma run`` server holds the index (ingested with ``rag-ingest`` against it); ``rag-serve`` uses it
while two clients search and one asks without pause. The server is stopped (SIGTERM) for ``outage`` seconds,
then started on the same path. Every response is filed under before / outage / after: during the outage
each should be a 503 in the error envelope (never a 500 or a dropped connection); recovery is the time from
Chroma answering its heartbeat again to the first successful search.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from eval.faults.corpus import abstracts, questions
from eval.faults.index import ingested
from eval.faults.load import Clients
from eval.faults.procs import ChromaServer, rag_serve


def run(workdir: Path, quick: bool) -> dict[str, Any]:
    """Run the outage; returns the report section."""
    docs, before_s, outage_s, after_s = (6, 3.0, 5.0, 10.0) if quick else (40, 10.0, 15.0, 30.0)
    chroma = ChromaServer(workdir / "chroma", workdir / "chroma.log")
    chroma.start()
    try:
        auth, env = ingested(workdir, abstracts()[:docs], "c", chroma.env)
        phase = {"now": "before"}
        with rag_serve(env, workdir / "serve.log") as svc:
            clients = Clients(
                svc.base,
                questions(200, seed=3),
                3,
                auth.headers("reader"),
                askers=frozenset({2}),
                timeout_s=60,
                phase=lambda: phase["now"],
            )
            clients.start()
            time.sleep(before_s)
            phase["now"] = "stopping"
            chroma.stop()
            stopped_at = time.monotonic()
            phase["now"] = "outage"
            time.sleep(outage_s / 2)
            ready = httpx.get(f"{svc.base}/readyz", timeout=30)
            time.sleep(outage_s / 2)
            phase["now"] = "restarting"
            restart_s = chroma.start()
            back_at = time.monotonic()
            phase["now"] = "after"
            time.sleep(after_s)
            clients.stop()
            ready_after = httpx.get(f"{svc.base}/readyz", timeout=30)
    finally:
        chroma.stop()
    samples = clients.samples
    by_phase: dict[str, dict[str, int]] = {}
    for name in ("before", "stopping", "outage", "restarting", "after"):
        got = [s for s in samples if s.phase == name]
        by_phase[name] = {
            "requests": len(got),
            "ok": sum(s.status == 200 for s in got),
            "clean_503": sum(s.status == 503 and s.code is not None for s in got),
            "other": sum(s.status not in (200, 503) or (s.status == 503 and s.code is None) for s in got),
        }
    first_ok = min(
        (s.started + s.ms / 1000 for s in samples if s.status == 200 and s.started >= back_at), default=None
    )
    last_failure = max(
        (s.started + s.ms / 1000 for s in samples if s.status != 200 and s.phase == "after"), default=None
    )
    others = [s for s in samples if s.status not in (200, 503) or (s.status == 503 and s.code is None)]
    return {
        "auth": auth.describe(),
        "documents": docs,
        "outage_s": round(back_at - stopped_at, 1),
        "chroma_restart_s": round(restart_s, 1),
        "recovery_s": round(first_ok - back_at, 2) if first_ok is not None else None,
        "last_failure_after_restart_s": round(last_failure - back_at, 2)
        if last_failure is not None
        else None,
        "failures_after_restart_by_endpoint": {
            e: sum(s.status != 200 for s in samples if s.phase == "after" and s.endpoint == e)
            for e in ("/v1/search", "/v1/ask")
        },
        "by_phase": by_phase,
        "error_codes_during_outage": sorted(
            {str(s.code) for s in samples if s.phase == "outage" and s.status != 200}
        ),
        "readyz_during_outage": ready.status_code,
        "readyz_body_during_outage": ready.json(),
        "readyz_after": ready_after.status_code,
        "transport_errors": clients.transport_errors[:20],
        "transport_error_count": len(clients.transport_errors),
        "unclean_samples": [
            {"endpoint": s.endpoint, "status": s.status, "code": s.code, "phase": s.phase}
            for s in others[:20]
        ],
    }
