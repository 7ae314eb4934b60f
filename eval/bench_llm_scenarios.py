"""How verification handles a model's paraphrase: ``rag-eval`` against the scripted LLM's two scenarios.

Run::

    python -m eval.bench_llm_scenarios --limit 100 --out eval-runs/llm-scenarios

Indexes the PubMedQA file's abstracts once, then for each scenario (``faithful``, ``hallucinate``) starts
``python -m eval.scripted_llm`` on a free loopback port and runs ``rag-eval run --dataset pubmedqa
--backend openai --no-variants --no-baselines`` in this process against it (``RAG_LLM__BASE_URL`` /
``RAG_LLM__MODEL``; any other ``RAG_*`` setting in the environment applies, e.g. another support scorer).
``--limit`` asks the first N questions; the index holds every abstract of the file, so the evidence has
other documents' passages in it as it would in use.

Writes ``OUT/<scenario>/`` (rag-eval's results folder; ``hallucinate/alterations.jsonl`` is the scripted
model's log and ``hallucinate/joined.jsonl`` every alteration with what became of it) and
``OUT/figures.json`` (also printed): see :mod:`eval.llm_scenarios.figures` for the definitions and targets.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

import httpx

from eval import cli as rag_eval
from eval.llm_scenarios.figures import (
    check_targets,
    faithful_figures,
    hallucinate_figures,
    join_alterations,
    read_alterations,
)
from eval.llm_scenarios.model import SCENARIOS, Scenario
from eval.report import emit
from eval.suite.datasets import load_dataset
from eval.suite.results import load
from eval.suite.runner import build_index
from rag_service.bootstrap import build_components
from rag_service.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PUBMEDQA = REPO.parent / "shared" / "data" / "pubmedqa" / "pqal_dev.json"
READY_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def scripted_server(scenario: Scenario, pubmedqa: Path, seed: int, log: Path) -> Iterator[str]:
    """``python -m eval.scripted_llm`` on a free loopback port until the block ends; yields its ``/v1`` URL."""
    port = _free_port()
    command = [sys.executable, "-m", "eval.scripted_llm", "--scenario", scenario, "--pubmedqa", str(pubmedqa)]
    command += ["--port", str(port), "--seed", str(seed), "--log", str(log)]
    proc = subprocess.Popen(command, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the scripted LLM server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/v1/models", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the scripted LLM server did not answer within {READY_TIMEOUT_S:g} s")
            time.sleep(0.2)
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def llm_environment(url: str, model: str) -> Iterator[None]:
    """``RAG_LLM__BASE_URL`` and ``RAG_LLM__MODEL`` set for the block (how rag-eval is pointed at a server)."""
    values = {"RAG_LLM__BASE_URL": url, "RAG_LLM__MODEL": model}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def index_pubmedqa(pubmedqa: Path, work: Path, progress: bool) -> Path:
    """Index every abstract of the file into a data directory under ``work``; returns the directory."""
    dataset = load_dataset("pubmedqa", pubmedqa, work)
    assert dataset.corpus is not None  # the pubmedqa dataset always has its abstracts as its corpus
    data_dir = work / "data"
    c = build_components(Settings(data_dir=data_dir))
    try:
        c.open_index()
        report = build_index(c, dataset.corpus, progress=progress)
    finally:
        c.close()
    if report.failed:
        raise RuntimeError(
            f"{len(report.failed)} corpus files failed to ingest, first: {report.failed[0].path}"
        )
    return data_dir


def run_scenario(
    scenario: Scenario,
    pubmedqa: Path,
    data_dir: Path,
    out: Path,
    limit: int | None,
    seed: int,
    progress: bool,
) -> Path:
    """One ``rag-eval run`` against the scripted model; returns its results folder (``out/<scenario>``)."""
    folder = out / scenario
    args = ["run", "--dataset", "pubmedqa", "--path", str(pubmedqa), "--data-dir", str(data_dir)]
    args += ["--backend", "openai", "--no-variants", "--no-baselines", "--out", str(folder)]
    args += ["--limit", str(limit)] if limit else []
    args += [] if progress else ["--no-progress"]
    with (
        scripted_server(scenario, pubmedqa, seed, folder / "alterations.jsonl") as url,
        llm_environment(url, f"scripted-{scenario}"),
        redirect_stdout(sys.stderr),  # rag-eval's summary table; stdout is kept for the figures
    ):
        code = rag_eval.main(args)
    if code != 0:
        raise RuntimeError(f"rag-eval run against the {scenario} scenario exited with {code}")
    return folder


def run_scenarios(
    pubmedqa: Path, out: Path, limit: int | None = None, seed: int = 0, progress: bool = True
) -> dict[str, Any]:
    """Index, run both scenarios, join the alteration log; returns the figures (also in ``out/figures.json``)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="llm-scenarios-") as tmp:
        data_dir = index_pubmedqa(pubmedqa, Path(tmp), progress)
        folders = {s: run_scenario(s, pubmedqa, data_dir, out, limit, seed, progress) for s in SCENARIOS}
    faithful = load(folders["faithful"])
    hallucinate = load(folders["hallucinate"])
    joined = join_alterations(hallucinate, read_alterations(folders["hallucinate"] / "alterations.jsonl"))
    (folders["hallucinate"] / "joined.jsonl").write_text(
        "".join(json.dumps(j, ensure_ascii=False) + "\n" for j in joined), encoding="utf-8"
    )
    figures: dict[str, Any] = {
        "dataset": "pubmedqa",
        "path": str(pubmedqa),
        "limit": limit,
        "seed": seed,
        "support_scorer": faithful["meta"].get("support_scorer"),
        "judge": faithful["meta"].get("judge"),
        "settings_hash": faithful["meta"].get("settings_hash"),
        "faithful": faithful_figures(faithful),
        "hallucinate": hallucinate_figures(hallucinate, joined),
    }
    figures["targets"] = check_targets(figures)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    emit(figures, out / "figures.json")
    return figures


def main(argv: list[str] | None = None) -> int:
    """Entry point: run both scenarios and print the figures as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_llm_scenarios",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--path", type=Path, default=DEFAULT_PUBMEDQA, help="PubMedQA PQA-L JSON file")
    parser.add_argument("--limit", type=int, default=None, help="ask only the first N questions")
    parser.add_argument("--seed", type=int, default=0, help="seed of the hallucinating scenario")
    parser.add_argument("--out", type=Path, default=Path("eval-runs") / "llm-scenarios")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"bench_llm_scenarios: {args.path}: no such file", file=sys.stderr)
        return 2
    run_scenarios(args.path, args.out, args.limit, args.seed, progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
