"""Retrieval quality on PubMedQA and MedQuAD: BM25 only, dense only, hybrid, hybrid + rerank, in one run.

Run::

    python -m eval.bench_retrieval --dataset pubmedqa --out eval/reports/retrieval_pubmedqa.json
    python -m eval.bench_retrieval --dataset medquad --data-dir DIR --out eval/reports/retrieval_medquad.json

* PubMedQA (PQA-L dev, 500 questions): the corpus is the abstract contexts of all 500 questions, one document
  per PMID; a hit is a passage of the question's own PMID. The index is built in a scratch directory.
* MedQuAD: the corpus is every answered question-answer pair's answer (~16.4k documents); queries are a
  fixed-seed sample of their questions; a hit is the question's own answer document. Building that index
  takes ~40 minutes on 2 cores, so ``--data-dir`` reuses one, e.g. the index ``eval.bench_ingest
  --keep-data DIR`` leaves behind. Many MedQuAD questions are near-identical across documents (the same
  question about the same disease from several NIH sources), which caps what any retriever can reach.

Every row uses the same queries, top 10 results and no relevance threshold, so the rows differ only by the
retrieval stages. A result counts for a gold document when the passage comes from it or when a passage of
it was collapsed into the result as a duplicate (same text). The run also measures the relevance
threshold's "no relevant evidence" signal: top-1 relevance with the gold document indexed versus with it
excluded by a filter (for PubMedQA, where no other document answers the question).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.datasets import RetrievalItem, medquad, pubmedqa, write_jsonl
from eval.metrics import auroc
from eval.report import emit
from eval.suite.runner import build_index as ingest_corpus
from eval.suite.scoring import retrieval_scores
from rag_service.bootstrap import Components, build_components
from rag_service.domain.retrieval import SearchFilters
from rag_service.services.reranking import build_reranker
from rag_service.services.retrieval import Retriever, SearchRequest
from rag_service.settings import Settings

K = 10
ROWS: dict[str, dict[str, Any]] = {
    "bm25": {"mode": "lexical", "rerank": False},
    "dense": {"mode": "dense", "rerank": False},
    "hybrid": {"mode": "hybrid", "rerank": False},
    "hybrid+rerank": {"mode": "hybrid", "rerank": True},
}


def open_components(settings: Settings) -> Components:
    """Open an existing index (or an empty one) and bring its keyword index up to date."""
    c = build_components(settings)
    c.open_index()
    with c.writer_lock():
        c.index.refresh_lexical()
    c.embedder.warm_up()
    return c


def build_index(settings: Settings, path: Path) -> Components:
    """Ingest ``path`` through the normal pipeline (incremental: an unchanged corpus is not re-embedded)."""
    c = open_components(settings)
    report = ingest_corpus(c, path, progress=False)
    if report.failed:
        raise SystemExit(f"corpus failed to ingest: {report.failed[:3]}")
    return c


def run_row(
    retriever: Retriever, items: list[RetrievalItem], mode: str, rerank: bool, label: str
) -> dict[str, Any]:
    """Search every item one way; returns the metrics and per-query latency."""
    per_query: list[dict[str, float]] = []
    times: list[float] = []
    for item in tqdm(items, desc=label, unit="q", leave=False):
        started = time.perf_counter()
        outcome = retriever.search(
            SearchRequest(query=item.question, top_k=K, mode=mode, rerank=rerank, min_relevance=0.0)  # type: ignore[arg-type]
        )
        times.append((time.perf_counter() - started) * 1000)
        ranked = [[e.doc_id, *(d for d, _ in e.duplicates)] for e in outcome.evidence]
        per_query.append(retrieval_scores(label, ranked, item.gold_doc_ids, K))
    prefix = f"retrieval.{label}."
    metrics = {
        name.removeprefix(prefix): round(statistics.fmean(q[name] for q in per_query), 4)
        for name in per_query[0]
    }
    return metrics | {
        "ms_per_query_mean": round(statistics.fmean(times), 1),
        "ms_per_query_median": round(statistics.median(times), 1),
    }


def no_evidence_signal(retriever: Retriever, items: list[RetrievalItem], threshold: float) -> dict[str, Any]:
    """Top-1 relevance with the gold document present versus excluded, and the threshold's decisions."""
    present: list[float] = []
    removed: list[float] = []
    for item in tqdm(items, desc="no-evidence signal", unit="q", leave=False):
        for bucket, filters in (
            (present, None),
            (removed, SearchFilters(exclude_doc_ids=sorted(item.gold_doc_ids))),
        ):
            outcome = retriever.search(
                SearchRequest(query=item.question, top_k=1, filters=filters, min_relevance=0.0)
            )
            top = outcome.evidence[0].relevance if outcome.evidence else 0.0
            bucket.append(top or 0.0)
    curve = {
        f"{t:.2f}": {
            "answered_when_gold_present": round(sum(s >= t for s in present) / len(present), 4),
            "abstained_when_gold_removed": round(sum(s < t for s in removed) / len(removed), 4),
        }
        for t in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60)
    }
    return {
        "threshold": threshold,
        "by_threshold": curve,
        "auroc_gold_present_vs_removed": round(auroc(present, removed), 4),
        "answered_when_gold_present": round(sum(s >= threshold for s in present) / len(present), 4),
        "abstained_when_gold_removed": round(sum(s < threshold for s in removed) / len(removed), 4),
        "median_top1_present": round(statistics.median(present), 4),
        "median_top1_removed": round(statistics.median(removed), 4),
    }


def evaluate(
    c: Components, items: list[RetrievalItem], extra_rerankers: list[str], signal: bool
) -> dict[str, Any]:
    """All rows over the same items, plus any extra rerankers and the no-evidence signal."""
    retriever = c.retriever()
    rows = {name: run_row(retriever, items, **cfg, label=name) for name, cfg in ROWS.items()}
    for kind in extra_rerankers:
        settings = c.settings.retrieval.model_copy(update={"reranker": kind})
        reranker = build_reranker(settings, c.lexical, c.embedder)
        other = Retriever(settings, c.embedder, c.store, c.lexical, c.index, c.view, reranker)
        rows[f"hybrid+rerank[{kind}]"] = run_row(other, items, "hybrid", True, kind)
    out: dict[str, Any] = {"rows": rows}
    best_single = max(rows["bm25"]["mrr@10"], rows["dense"]["mrr@10"])
    out["rerank_beats_best_single_retriever"] = {
        m: rows["hybrid+rerank"][m] > max(rows["bm25"][m], rows["dense"][m])
        for m in ("hit@1", "hit@5", "mrr@10")
    }
    out["mrr_gain_over_best_single"] = round(rows["hybrid+rerank"]["mrr@10"] - best_single, 4)
    if signal:
        out["no_evidence_signal"] = no_evidence_signal(retriever, items, c.settings.retrieval.min_relevance)
    return out


def table(rows: dict[str, dict[str, Any]]) -> str:
    """The rows as a Markdown table."""
    cols = ["hit@1", "hit@5", "mrr@10", "recall@10", "ndcg@10", "ms_per_query_median"]
    lines = ["| retrieval | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(str(r[c]) for c in cols) + " |" for name, r in rows.items()]
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark and print its figures (also written to --out as JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=["pubmedqa", "medquad"], required=True)
    parser.add_argument(
        "--path", type=Path, default=None, help="dataset file (defaults under ../shared/data)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse (or build) the index here")
    parser.add_argument("--queries", type=int, default=1000, help="MedQuAD: questions sampled")
    parser.add_argument("--limit", type=int, default=None, help="only the first N queries (quick runs)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--extra-rerankers", default="", help="comma-separated rerankers to add as rows, e.g. 'sentence'"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    extra = [k for k in args.extra_rerankers.split(",") if k]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        settings = Settings(data_dir=data_dir)
        if args.dataset == "pubmedqa":
            path = args.path or shared / "pubmedqa" / "pqal_dev.json"
            records, items = pubmedqa(path)
            corpus = write_jsonl(records, Path(tmp) / "pubmedqa.jsonl")
            c = build_index(settings, corpus)
        else:
            path = args.path or shared / "medquad.tar.gz"
            if args.data_dir is None:
                raise SystemExit(
                    "--data-dir is required for medquad (build it with eval.bench_ingest --keep-data)"
                )
            c = open_components(settings)
            indexed = {r.meta.doc_id for r in c.catalog.documents() if r.status == "complete"}
            items = medquad(path, indexed, args.queries, args.seed)
        if args.limit:
            items = items[: args.limit]
        figures = {
            "dataset": args.dataset,
            "queries": len(items),
            "documents": c.catalog.document_count(),
            "passages": c.catalog.chunk_count(),
            "top_k": K,
            "reranker": c.settings.retrieval.reranker,
            "settings_fingerprint": c.settings.fingerprint(),
            **evaluate(c, items, extra, signal=args.dataset == "pubmedqa"),
            "cpu_count": os.cpu_count(),
            "seconds": 0.0,
        }
        c.close()
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(table(figures["rows"]))
    emit(figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
