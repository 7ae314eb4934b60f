"""Ingest benchmark on MedQuAD: pipeline throughput against the raw encoder, re-ingest cost, peak memory.

Run: ``python -m eval.bench_ingest --medquad ../shared/data/medquad.tar.gz [--limit-files N] [--out DIR]``

Steps, all in one run on one machine:
1. unpack the MedQuAD XML files that hold at least one answered question (one document per answer);
2. ``rag-ingest --json`` into a fresh data directory, as a user would (wall time, peak RSS of that process);
3. ``rag-ingest --json`` again on the unchanged corpus;
4. in this process, encode the passage texts the pipeline embedded (all, or a uniform sample) with the same
   model and batch size (the raw encoder throughput); report pipeline chunks/s divided by encoder chunks/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.report import emit
from eval.suite.datasets import unpack_medquad
from ingest.chunking import embedding_text
from rag_service.bootstrap import build_components
from rag_service.domain.documents import Chunk
from rag_service.settings import Settings


def run_ingest(corpus: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run rag-ingest as a child process; returns its summary plus wall time and peak RSS."""
    cli = Path(sys.executable).parent / "rag-ingest"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(cli), "--json", "--no-progress", str(corpus)], env=env, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    summary: dict[str, Any] = json.loads(out)
    summary["wall_seconds"] = round(wall, 2)
    summary["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # ru_maxrss is in KiB on Linux
    summary["exit_status"] = os.waitstatus_to_exitcode(status)
    return summary


def encoder_floor(settings: Settings, sample: int) -> dict[str, float]:
    """Encode the stored passage texts the way the pipeline did, timing only the encoder.

    A uniform random sample (fixed seed) of ``sample`` passages keeps the run short on a 2-core machine; the
    throughput estimate of a uniform sample is unbiased.
    """
    c = build_components(settings)
    c.open_index()
    titles = {r.meta.doc_id: r.meta.title for r in c.catalog.documents()}
    texts: list[str] = []
    for record in c.catalog.documents():
        for cid, ordinal, text, heading, page in c.catalog.chunk_rows(record.meta.doc_id):
            chunk = Chunk(
                cid, record.meta.doc_id, ordinal, text, tuple(heading.split(" > ")) if heading else (), page
            )
            texts.append(embedding_text(titles[record.meta.doc_id], chunk))
    if sample and len(texts) > sample:
        texts = random.Random(13).sample(texts, sample)  # noqa: S311 - a benchmark sample, not a secret
    c.embedder.warm_up()
    c.embedder.embed_documents(texts[:64])  # first-call overheads are not throughput
    step = settings.ingest.batch_chunks
    started = time.perf_counter()
    for i in range(0, len(texts), step):
        c.embedder.embed_documents(texts[i : i + step])
    seconds = time.perf_counter() - started
    c.close()
    return {
        "chunks": len(texts),
        "seconds": round(seconds, 2),
        "chunks_per_s": round(len(texts) / seconds, 1),
    }


def main() -> int:
    """Run the benchmark and print its figures as JSON (also written to --out)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--medquad", type=Path, default=Path("../shared/data/medquad.tar.gz"))
    parser.add_argument("--limit-files", type=int, default=None, help="only the first N answered files")
    parser.add_argument(
        "--floor-sample", type=int, default=4000, help="passages re-encoded for the encoder floor (0 = all)"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures to this JSON file")
    parser.add_argument(
        "--keep-data",
        type=Path,
        default=None,
        help="build the index in this (new) directory and keep it, e.g. for rag-eval --data-dir or bench_latency",
    )
    args = parser.parse_args()
    if args.keep_data and args.keep_data.exists() and any(args.keep_data.iterdir()):
        parser.error(f"--keep-data {args.keep_data} must be a new or empty directory")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        corpus = Path(tmp) / "medquad"
        files = unpack_medquad(args.medquad, corpus, args.limit_files)
        data_dir = args.keep_data.resolve() if args.keep_data else Path(tmp) / "data"
        env = {**os.environ, "RAG_DATA_DIR": str(data_dir)}
        first = run_ingest(corpus, env)
        second = run_ingest(corpus, env)
        settings = Settings(data_dir=data_dir)
        floor = encoder_floor(settings, args.floor_sample)
    pipeline_rate = first["chunks_written"] / first["seconds"]
    figures = {
        "corpus": {
            "files": files,
            "documents": first["documents_written"],
            "chunks": first["chunks_written"],
        },
        "first_ingest": first | {"failed": len(first["failed"]), "failed_files": first["failed"]},
        "reingest_unchanged": second | {"failed": len(second["failed"])},
        "encoder_only": floor,
        "pipeline_chunks_per_s": round(pipeline_rate, 1),
        "pipeline_to_encoder_ratio": round(pipeline_rate / floor["chunks_per_s"], 3),
        "reingest_fraction_of_first": round(second["wall_seconds"] / first["wall_seconds"], 4),
        "peak_rss_mb": first["peak_rss_mb"],
        "cpu_count": os.cpu_count(),
    }
    emit(figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
