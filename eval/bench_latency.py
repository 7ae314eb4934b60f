"""Latency of ``POST /v1/search`` (and ``/v1/ask``) end to end through uvicorn over loopback, against the retrieval floor.

Run (with an index already built, e.g. by ``python -m eval.bench_ingest --keep-data DIR``)::

    python -m eval.bench_latency --data-dir DIR --out eval/reports/latency_medquad.json

Steps, all in one run on one machine:
1. the floor, in a child process on the same index: one query embedding plus one Chroma query (top 10) per
   question, nothing else;
2. ``rag-serve`` is started on the same index; after a warm-up, the same questions are sent by 1 and then 4
   concurrent clients (one HTTP connection each, keep-alive), timing each request at the client.
Reports p50/p95 per concurrency, requests per second, the ratio of p50 at one client to the floor's p50, and
the server's own median stage timings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from eval.metrics import percentile
from eval.report import emit
from eval.suite.datasets import load_dataset, sample
from rag_service.bootstrap import build_components, build_key_store
from rag_service.domain.auth import Role
from rag_service.services.keys import KeyService
from rag_service.settings import Settings

WARM_UP = 20


def questions(data_dir: Path, archive: Path, count: int, seed: int) -> list[str]:
    """A fixed-seed sample of MedQuAD questions whose answers are in the index (as ``rag-eval`` samples them)."""
    c = build_components(Settings(data_dir=data_dir))
    c.catalog.open(c.identity())
    indexed = {r.meta.doc_id for r in c.catalog.documents()}
    c.close()
    if not indexed:
        raise SystemExit(f"no documents indexed under {data_dir}")
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        dataset = load_dataset("medquad", archive, Path(tmp), build_corpus=False)
    items = [i for i in dataset.items if i.gold_doc_ids & indexed]
    return [item.question for item in sample(items, count, seed, shuffle=True)]


def floor(data_dir: Path, qs: list[str]) -> dict[str, Any]:
    """Embed each question and run one top-10 Chroma query; only those two calls are timed."""
    c = build_components(Settings(data_dir=data_dir))
    c.open_index()
    c.embedder.warm_up()
    for q in qs[:WARM_UP]:
        c.store.query(c.embedder.embed_query(q)[0], 10)
    times: list[float] = []
    for q in qs:
        started = time.perf_counter()
        c.store.query(c.embedder.embed_query(q)[0], 10)
        times.append((time.perf_counter() - started) * 1000)
    c.close()
    return {
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "n": len(times),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(
    base: str, qs: list[str], clients: int, top_k: int, endpoint: str = "search", key: str = ""
) -> dict[str, Any]:
    """Send every question once to ``/v1/<endpoint>``, spread over ``clients`` threads with a connection each."""
    latencies: list[float] = []
    stages: list[dict[str, float]] = []
    errors: list[int] = []
    lock = threading.Lock()

    def worker(part: list[str]) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
            for q in part:
                started = time.perf_counter()
                body: dict[str, object] = {"question": q}
                if endpoint == "search":
                    body["top_k"] = top_k
                res = client.post(f"/v1/{endpoint}", json=body)
                ms = (time.perf_counter() - started) * 1000
                with lock:
                    if res.status_code == 200:
                        latencies.append(ms)
                        stages.append(res.json()["timings_ms"])
                    else:
                        errors.append(res.status_code)

    parts = [qs[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=worker, args=(p,)) for p in parts]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    keys = sorted({k for s in stages for k in s})
    return {
        "endpoint": f"/v1/{endpoint}",
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "requests_per_s": round(len(latencies) / wall, 2),
        "server_stage_median_ms": {
            k: round(statistics.median(s.get(k, 0.0) for s in stages), 2) for k in keys
        },
    }


def serve_and_measure(data_dir: Path, qs: list[str], top_k: int, ask: int) -> list[dict[str, Any]]:
    """Start rag-serve on the index, warm it up, then measure search at 1 and 4 clients, and ask.

    Access control stays on, as in production: a reader key is created in a throwaway key database, and the
    per-key rate and concurrency limits are lifted so they do not shape the figures.
    """
    port = _free_port()
    keys_dir = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    keys_url = f"sqlite:///{keys_dir / 'keys.sqlite3'}"
    keys = KeyService(build_key_store(Settings(data_dir=data_dir, auth={"database_url": keys_url})))
    key = keys.create("bench-latency", Role.READER).token
    keys.close()
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(data_dir),
        "RAG_LOG_LEVEL": "WARNING",
        "RAG_AUTH__ENABLED": "true",
        "RAG_AUTH__DATABASE_URL": keys_url,
        "RAG_AUTH__RATE_PER_MINUTE": "0",
        "RAG_AUTH__MAX_CONCURRENT": "0",
    }
    cli = Path(sys.executable).parent / "rag-serve"
    proc = subprocess.Popen([str(cli), "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise SystemExit("rag-serve exited before it was ready")
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("rag-serve was not ready within 300 s")
            time.sleep(0.5)
        load(base, qs[:WARM_UP], 1, top_k, key=key)
        runs = [load(base, qs, clients, top_k, key=key) for clients in (1, 4)]
        if ask:
            load(base, qs[:5], 1, top_k, "ask", key=key)
            runs += [load(base, qs[:ask], clients, top_k, "ask", key=key) for clients in (1, 4)]
        return runs
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        shutil.rmtree(keys_dir, ignore_errors=True)


def main() -> int:
    """Run the benchmark and print its figures as JSON (also written to --out)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="an index built from MedQuAD")
    parser.add_argument("--medquad", type=Path, default=Path("../shared/data/medquad.tar.gz"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top-k", type=int, default=8)
    parser.add_argument("--ask", type=int, default=100, help="questions also sent to /v1/ask (0 = none)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--floor-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    qs = questions(data_dir, args.medquad, args.queries, args.seed)
    if args.floor_only:
        print(json.dumps(floor(data_dir, qs)))
        return 0
    # The floor runs in its own process so the server below is the only one holding the index.
    child = subprocess.run(
        [sys.executable, "-m", "eval.bench_latency", "--floor-only", *sys.argv[1:]],
        capture_output=True,
        text=True,
        check=True,
    )
    floor_figures = json.loads(child.stdout.strip().splitlines()[-1])
    runs = serve_and_measure(data_dir, qs, args.top_k, args.ask)
    single = runs[0]
    figures = {
        "queries": len(qs),
        "top_k": args.top_k,
        "floor_embed_plus_chroma_query": floor_figures,
        "http": runs,
        "p50_to_floor_ratio_1_client": round(single["p50_ms"] / floor_figures["p50_ms"], 2),
        "cpu_count": os.cpu_count(),
    }
    emit(figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
