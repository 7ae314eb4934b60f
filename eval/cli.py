"""``rag-eval``: run a benchmark against the service and write its results folder; compare two runs.

rag-eval run --dataset pubmedqa --path ../shared/data/pubmedqa/pqal_dev.json --out runs/pubmedqa
rag-eval run --dataset jsonl --path my_questions.jsonl --url http://localhost:8000 --out runs/mine
rag-eval compare runs/before runs/after
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eval.metrics import percentile
from eval.suite import compare as compare_cmd
from eval.suite.datasets import DATASETS, DatasetError, load_dataset, sample
from eval.suite.render import write_reports
from eval.suite.results import finish, write
from eval.suite.runner import ROWS, RunOptions, build_index, run_qa, run_support
from eval.suite.targets import HttpTarget, InProcessTarget, Target, TargetError
from ingest.demo import demo_root
from rag_service.adapters.openai_chat import require_llm_client
from rag_service.bootstrap import Components, build_components, check_installed
from rag_service.domain.errors import ConfigurationError
from rag_service.settings import Settings

# Datasets whose --limit takes a fixed-seed random sample rather than the first N (their files are ordered
# by source, so the first N would all come from one collection).
SHUFFLED = {"medquad"}


def _add_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--path", required=True, type=Path, help="the dataset file or folder")
    parser.add_argument("--limit", type=int, default=None, help="evaluate only N questions")
    parser.add_argument("--seed", type=int, default=13, help="seed of the --limit sample where it is random")
    parser.add_argument(
        "--out", type=Path, default=None, help="results folder (default: eval-runs/DATASET-TIME)"
    )
    parser.add_argument("--backend", choices=("extractive", "openai"), default=None, help="answer backend")
    parser.add_argument(
        "--url", default=None, help="evaluate a running service at this URL instead of in process"
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help="API key (reader role) sent to the --url service as a bearer token (default: $RAG_EVAL_API_KEY)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="use the existing index in this data directory (in process)",
    )
    parser.add_argument(
        "--corpus", type=Path, default=None, help="build the isolated index from this file or folder instead"
    )
    parser.add_argument(
        "--judge", choices=("calibrated", "nli", "llm_judge"), default=None, help="citation-support judge"
    )
    parser.add_argument("--k", type=int, default=10, help="retrieval cutoff for recall/MRR/nDCG")
    parser.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip the baseline retrieval rows (BM25 only, dense only, hybrid without reranking)",
    )
    parser.add_argument(
        "--no-variants",
        action="store_true",
        help="skip asking again with the gold documents removed (and the no-evidence signal)",
    )
    parser.add_argument("--worst", type=int, default=10, help="worst items listed in the report")
    parser.add_argument("--no-progress", action="store_true")


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _package_version() -> str:
    try:
        return version("rag-clinical-qa")
    except PackageNotFoundError:
        return "unknown"


def _settings(args: argparse.Namespace, data_dir: Path) -> Settings:
    """The environment's settings with the command line's backend, checked as the service checks them.

    Raises:
        ConfigurationError: The settings are invalid, or need a package that is not installed (one line).
    """
    overrides: dict[str, Any] = {"data_dir": data_dir}
    if args.backend:
        overrides["answer"] = {"backend": args.backend}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = (
            (f"{'.'.join(map(str, e['loc']))}: " if e["loc"] else "") + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from exc
    if not args.url:  # a service over HTTP answers with its own settings
        check_installed(settings)
    if args.judge == "llm_judge":
        if not (settings.llm.base_url and settings.llm.model):
            raise ConfigurationError(
                "--judge llm_judge needs an LLM server: set RAG_LLM__BASE_URL and RAG_LLM__MODEL"
            )
        require_llm_client()
    return settings


def _corpus(args: argparse.Namespace, dataset_corpus: Path | None) -> tuple[Path | None, bool]:
    """The corpus to index and whether it is the demo corpus."""
    if args.corpus:
        return args.corpus, False
    if dataset_corpus is not None:
        return dataset_corpus, False
    if args.dataset == "kqa":
        return demo_root(), True
    return None, False


def run(args: argparse.Namespace) -> int:
    """The ``run`` subcommand."""
    started, started_at = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    out: Path = args.out or Path("eval-runs") / f"{args.dataset}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    if args.url and (args.data_dir or args.corpus):
        raise SystemExit(
            "rag-eval run: --url evaluates a running service; --data-dir and --corpus do not apply"
        )
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        work = Path(tmp)
        own_index = not args.url and not args.data_dir
        settings = _settings(args, args.data_dir or work / "data")
        dataset = load_dataset(args.dataset, args.path, work, build_corpus=own_index and not args.corpus)
        if args.dataset == "kqa" and settings.answer.backend != "openai" and not args.url:
            raise SystemExit(
                "rag-eval run: K-QA scores how much of a physician's answer a generated answer covers; "
                "run it with --backend openai (and RAG_LLM__BASE_URL / RAG_LLM__MODEL set)"
            )
        c = build_components(settings)
        notes = list(dataset.notes)
        target: Target | None = None
        try:
            if dataset.task == "qa":
                target = _open_target(args, c, dataset.corpus, notes)
                indexed = target.indexed_doc_ids()
                before = len(dataset.items)
                dataset.items = [i for i in dataset.items if not i.gold_doc_ids or i.gold_doc_ids & indexed]
                if len(dataset.items) < before:
                    notes.append(
                        f"{before - len(dataset.items)} questions skipped: no gold document in the index"
                    )
            if not dataset.items:
                raise DatasetError(
                    f"no question of {args.path} has its gold documents in the index evaluated; "
                    "is it the index built from this dataset's corpus?"
                )
            dataset.items = sample(dataset.items, args.limit, args.seed, args.dataset in SHUFFLED)
            judge = c.support_scorer(kind=args.judge)
            opts = RunOptions(
                k=args.k,
                rows=("pipeline",) if args.no_baselines else tuple(ROWS),
                gold_removed_variants=not args.no_variants,
                threshold=settings.answer.supported_threshold,
                min_relevance=settings.retrieval.min_relevance,
                progress=not args.no_progress,
            )
            errors: list[str] = []
            if dataset.task == "support":
                items = run_support(judge, dataset, opts)
            else:
                assert target is not None
                items, errors = run_qa(target, judge, dataset, opts)
            meta = {
                "dataset": args.dataset,
                "path": str(args.path),
                "dataset_sha256": _fingerprint(args.path),
                "target": target.name if target else "none",
                "url": args.url,
                "backend": settings.answer.backend if dataset.task == "qa" and not args.url else None,
                "judge": judge.name,
                "judge_threshold": opts.threshold,
                "min_relevance": opts.min_relevance if dataset.task == "qa" else None,
                **(target.describe() if target else {"settings_hash": settings.fingerprint()}),
                **_answer_provenance(items),
                "started_at": started_at,
                "limit": args.limit,
                "seed": args.seed,
                "k": args.k if dataset.task == "qa" else None,
                "rows": list(opts.rows) if dataset.task == "qa" else [],
                "version": _package_version(),
                "python": platform.python_version(),
                "errors": errors,
                "notes": notes,
                "wall_seconds": round(time.perf_counter() - started, 1),
            }
        finally:
            if target is not None:
                target.close()
            c.close()
    results = finish(meta, items)
    results["metrics"].update(_latency(items))
    path = write(results, out)
    write_reports(results, out, worst=args.worst)
    _print_summary(results, path)
    if errors:
        print(f"rag-eval run: {len(errors)} questions failed; see meta.errors in {path}", file=sys.stderr)
        return 1
    return 0


def _open_target(args: argparse.Namespace, c: Components, corpus: Path | None, notes: list[str]) -> Target:
    if args.url:
        key = args.api_key or os.environ.get("RAG_EVAL_API_KEY")
        return HttpTarget(args.url, headers={"Authorization": f"Bearer {key}"} if key else None)
    if args.data_dir:
        notes.append(f"existing index in {args.data_dir}")
    else:
        source, demo = _corpus(args, corpus)
        if source is None:
            raise SystemExit(
                f"rag-eval run: the {args.dataset} dataset has no corpus of its own; "
                "give --corpus PATH, --data-dir DIR (an existing index) or --url"
            )
        c.open_index()
        try:
            report = build_index(c, source, demo=demo, progress=not args.no_progress)
        finally:
            c.close()  # the app opens the index again, as the service does
        notes.append(
            "isolated index built from "
            + ("the demo corpus" if demo else "the dataset's own corpus" if source == corpus else str(source))
        )
        if report.failed:
            notes.append(
                f"{len(report.failed)} corpus files failed to ingest, first: {report.failed[0].path}"
            )
    return InProcessTarget(c)


def _answer_provenance(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Settings hash, prompt id and hash, and models, as the service recorded them on its answers."""
    for item in items:
        prov = (item.get("answer") or {}).get("provenance") or {}
        if prov.get("settings_hash"):
            return {
                "settings_hash": prov["settings_hash"],
                "prompt_id": prov.get("prompt_id"),
                "prompt_hash": prov.get("prompt_hash"),
                "answer_backend": prov.get("answer_backend"),
                "answer_model": prov.get("answer_model"),
                "reranker": prov.get("reranker"),
                "support_scorer": prov.get("support_scorer"),
            }
    return {}


def _latency(items: list[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, key in (("ask", "ask"), ("search", "search_pipeline")):
        values = [float(i["ms"][key]) for i in items if key in i.get("ms", {})]
        if values:
            out[f"latency.{name}_p50_ms"] = round(percentile(values, 50), 1)
            out[f"latency.{name}_p95_ms"] = round(percentile(values, 95), 1)
    return out


def _print_summary(results: dict[str, Any], path: Path) -> None:
    width = max((len(k) for k in results["metrics"]), default=10)
    for key, value in sorted(results["metrics"].items()):
        shown = "n/a" if value is None else f"{value:.4f}" if not key.endswith("_ms") else f"{value:.1f}"
        print(f"{key:<{width}}  {shown:>10}  (n={results['counts'].get(key, '-')})")
    print(f"wrote {path} and report.md / report.html in {path.parent}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``rag-eval``."""
    parser = argparse.ArgumentParser(
        prog="rag-eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run a benchmark and write a results folder")
    _add_run(run_parser)
    compare_parser = sub.add_parser(
        "compare", help="metric deltas of run B against run A, with bootstrap CIs"
    )
    compare_cmd.add_arguments(compare_parser)
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare_cmd.main(args)
    try:
        return run(args)
    except (DatasetError, ConfigurationError, TargetError) as exc:
        print(f"rag-eval run: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
