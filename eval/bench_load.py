"""Concurrent searches and asks for a fixed time while documents are uploaded to the same service.

Run::

    python -m eval.bench_load [--quick] [--seconds 60] [--clients 4] [--out eval/reports/load.json]

Starts ``rag-serve`` (embedded Chroma, API keys from ``rag-keys`` when installed) over PubMedQA abstracts in a
temporary data directory. For ``--seconds``, ``--clients`` threads send PubMedQA questions without pause
(half to ``/v1/search``, half to ``/v1/ask``, one keep-alive connection each) while another thread uploads a
new document through ``POST /v1/documents`` every ``--upload-every`` seconds, each with a phrase no other
document holds. Afterwards each uploaded document must be found by a search for its title and phrase
(the uploaded abstracts are not in the starting corpus) and by
``GET /v1/documents/{id}``. Reports requests, p50/p95/p99 and errors per endpoint, the uploads, how many new
documents are visible, and the service's peak resident memory (sampled every 0.2 s with psutil).

New documents arrive through the service itself: with embedded Chroma a second process may not write to a
data directory a service holds. The Chroma-server outage under load is ``python -m eval.bench_faults chroma``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from eval.faults.corpus import abstracts, document_text, marker, questions
from eval.faults.index import ingested
from eval.faults.keys import Auth
from eval.faults.load import Clients, Sample
from eval.faults.procs import rag_serve
from eval.faults.table import note, save, show
from eval.metrics import percentile


class Uploader:
    """Uploads one new marked document every ``every_s`` seconds until stopped."""

    def __init__(self, base: str, auth: Auth, every_s: float, first: int) -> None:
        self._base, self._auth, self._every = base, auth, every_s
        self._pool = abstracts()
        self._next = first
        self._stop = threading.Event()
        self.results: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._loop, name="uploader", daemon=True)

    def start(self) -> None:
        """Start uploading."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the upload in progress."""
        self._stop.set()
        self._thread.join(timeout=600)

    def _loop(self) -> None:
        with httpx.Client(base_url=self._base, headers=self._auth.headers("editor"), timeout=600) as client:
            while not self._stop.wait(self._every):
                name = f"u{self._next:04d}"
                source = self._pool[self._next % len(self._pool)]
                self._next += 1
                started = time.monotonic()
                try:
                    res = client.post(
                        "/v1/documents",
                        files=[
                            ("files", (f"{name}.md", document_text(name, source).encode(), "text/markdown"))
                        ],
                    )
                    status: int | str = res.status_code
                    files = res.json().get("files") if res.status_code == 200 else None
                    outcome = files[0]["status"] if files else res.text[:200]
                    doc_ids = files[0]["doc_ids"] if files else []
                except (httpx.HTTPError, ValueError) as exc:
                    status, outcome, doc_ids = type(exc).__name__, str(exc)[:200], []
                self.results.append(
                    {
                        "name": name,
                        "title": source.title,
                        "status": status,
                        "outcome": outcome,
                        "doc_ids": doc_ids,
                        "ms": round((time.monotonic() - started) * 1000, 1),
                    }
                )


def visible(base: str, auth: Auth, uploads: list[dict[str, Any]]) -> dict[str, Any]:
    """Which uploaded documents a search for their title and phrase finds, and which ``GET`` knows."""
    missing_search, missing_get = [], []
    with httpx.Client(base_url=base, headers=auth.headers("reader"), timeout=120) as client:
        for up in uploads:
            if up["outcome"] != "ingested":
                continue
            doc_id = up["doc_ids"][0]
            # The relevance threshold drops a query of the rare phrase alone: ask the title with it.
            query = f"{up['title']} {marker(up['name'])}"
            found = client.post("/v1/search", json={"question": query, "top_k": 5})
            hits = [r["doc_id"] for r in found.json().get("results", [])] if found.status_code == 200 else []
            if doc_id not in hits:
                missing_search.append({"doc_id": doc_id, "status": found.status_code, "hits": hits[:5]})
            if client.get(f"/v1/documents/{doc_id}").status_code != 200:
                missing_get.append(doc_id)
    ingested = sum(u["outcome"] == "ingested" for u in uploads)
    return {
        "ingested": ingested,
        "found_by_search": ingested - len(missing_search),
        "found_by_get": ingested - len(missing_get),
        "missing_search": missing_search,
        "missing_get": missing_get,
    }


def figures(samples: list[Sample], seconds: float, transport: list[str]) -> dict[str, Any]:
    """Requests, errors and latency percentiles per endpoint."""
    out: dict[str, Any] = {}
    for endpoint in sorted({s.endpoint for s in samples}):
        got = [s for s in samples if s.endpoint == endpoint]
        ok = [s.ms for s in got if s.status == 200]
        out[endpoint] = {
            "requests": len(got),
            "errors": len(got) - len(ok),
            "error_statuses": sorted({f"{s.status} {s.code}" for s in got if s.status != 200}),
            "p50_ms": round(percentile(ok, 50), 1),
            "p95_ms": round(percentile(ok, 95), 1),
            "p99_ms": round(percentile(ok, 99), 1),
            "requests_per_s": round(len(ok) / seconds, 2),
        }
    out["transport_errors"] = len(transport)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the load, print the figures and write the report."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a seconds-long run (smoke test)")
    parser.add_argument("--seconds", type=float, default=None, help="length of the load (default 60)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (half ask, half search)")
    parser.add_argument("--documents", type=int, default=None, help="abstracts indexed before the load")
    parser.add_argument("--upload-every", type=float, default=None, help="seconds between uploads")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    seconds = args.seconds or (8.0 if args.quick else 60.0)
    docs = args.documents or (5 if args.quick else 100)
    every = args.upload_every or (3.0 if args.quick else 4.0)
    out = args.out or Path("eval/reports") / ("load_quick.json" if args.quick else "load.json")
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        auth, env = ingested(workdir, abstracts()[:docs], "b", timeout=1800)
        with rag_serve(env, workdir / "serve.log") as svc:
            svc.sample_rss()
            # One warm-up ask and search, so the first timed requests do not pay for lazy loading.
            for path in ("/v1/search", "/v1/ask"):
                httpx.post(
                    f"{svc.base}{path}",
                    json={"question": "sepsis fluids"},
                    headers=auth.headers("reader"),
                    timeout=300,
                )
            idle_rss = svc.peak_rss_mb
            clients = Clients(
                svc.base,
                questions(2000, seed=11),
                args.clients,
                auth.headers("reader"),
                askers=frozenset(range(args.clients // 2, args.clients)),
                timeout_s=300,
            )
            uploader = Uploader(svc.base, auth, every, first=docs)
            started = time.monotonic()
            clients.start()
            uploader.start()
            time.sleep(seconds)
            uploader.stop()
            clients.stop()
            wall = time.monotonic() - started
            seen = visible(svc.base, auth, uploader.results)
            peak = svc.peak_rss_mb
        per_endpoint = figures(clients.samples, wall, clients.transport_errors)
        uploads = uploader.results
        upload_ms = [u["ms"] for u in uploads if u["status"] == 200]
        report = {
            "auth": auth.describe(),
            "documents_before": docs,
            "clients": args.clients,
            "seconds": round(wall, 1),
            "endpoints": per_endpoint,
            "errors": sum(v["errors"] for k, v in per_endpoint.items() if k.startswith("/"))
            + per_endpoint["transport_errors"],
            "uploads": {
                "sent": len(uploads),
                "ingested": sum(u["outcome"] == "ingested" for u in uploads),
                "failed": [u for u in uploads if u["outcome"] != "ingested"],
                "p50_ms": round(percentile(upload_ms, 50), 1),
                "max_ms": max(upload_ms, default=None),
            },
            "visible_afterwards": seen,
            "peak_rss_mb": round(peak, 1),
            "rss_after_warm_up_mb": round(idle_rss, 1),
            "transport_error_samples": clients.transport_errors[:10],
        }
        rows = [
            (k, v["requests"], v["errors"], v["p50_ms"], v["p95_ms"], v["p99_ms"], v["requests_per_s"])
            for k, v in per_endpoint.items()
            if k.startswith("/")
        ]
        rows.append(
            (
                "POST /v1/documents",
                len(uploads),
                len(report["uploads"]["failed"]),
                report["uploads"]["p50_ms"],
                None,
                None,
                None,
            )
        )
        show(
            f"{args.clients} clients for {wall:.0f} s while uploading (auth {'on' if auth.enabled else 'OFF'})",
            ("endpoint", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "req/s"),
            rows,
        )
        note(
            f"new documents visible afterwards: search {seen['found_by_search']}/{seen['ingested']}, "
            f"GET {seen['found_by_get']}/{seen['ingested']}; peak RSS of the service {peak:.0f} MB "
            f"(after warm-up {idle_rss:.0f} MB); transport errors {per_endpoint['transport_errors']}"
        )
        save(report, out)
    finally:
        if args.keep:
            note(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
