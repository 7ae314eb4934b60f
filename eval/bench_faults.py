"""Faults an operator will meet, provoked on loopback against the installed console scripts.

Run (each section alone or all in order; ``--quick`` is a seconds-long version for the smoke test)::

    python -m eval.bench_faults kill   [--quick] [--out eval/reports/faults_kill.json]
    python -m eval.bench_faults chroma [--quick] [--out eval/reports/faults_chroma.json]
    python -m eval.bench_faults llm    [--quick] [--out eval/reports/faults_llm.json]
    python -m eval.bench_faults disk   [--quick] [--out eval/reports/faults_disk.json]
    python -m eval.bench_faults all    [--quick]           # every section, one report each

* ``kill``: SIGKILL ``rag-ingest`` at random moments (:mod:`eval.faults.kill`);
* ``chroma``: stop the Chroma server under light load and start it again (:mod:`eval.faults.chroma_outage`);
* ``llm``: the LLM server down, and slower than ``RAG_LLM__TIMEOUT_S``, with and without the extractive
  fallback (:mod:`eval.faults.llm`);
* ``disk``: a data directory the service may not write to, and a disk that fills up (:mod:`eval.faults.disk`).

Every process gets a temporary ``RAG_DATA_DIR`` and explicit auth settings: keys from ``rag-keys`` when it is
installed, otherwise ``RAG_AUTH__ENABLED=false`` (the report says which).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.faults import chroma_outage, disk, kill, llm
from eval.faults.keys import prepare
from eval.faults.table import note, save, show

REPORTS = Path("eval/reports")
SECTIONS = ("kill", "chroma", "llm", "disk")


def _kill(workdir: Path, quick: bool, seed: int) -> dict[str, Any]:
    auth = prepare(workdir / "data")
    trials, new, revise, serve_every = (4, 4, 1, 4) if quick else (20, 12, 3, 5)
    result = kill.run(workdir, auth, trials, new, revise, seed, serve_every)
    result["auth"] = auth.describe()
    show(
        f"kill -9 during rag-ingest ({result['killed']} of {trials} runs killed)",
        ("figure", "value"),
        [
            ("documents in the corpus at the end", result["documents_in_corpus"]),
            ("documents lost", result["documents_lost"]),
            ("documents duplicated / unexpected", result["documents_unexpected"]),
            ("documents left at an old revision", result["documents_stale_revision"]),
            ("passages orphaned in Chroma", result["passages_orphaned"]),
            ("passages missing from Chroma", result["passages_missing"]),
            ("BM25 inconsistent after the next run", result["lexical_inconsistent_after_recovery"]),
            ("BM25 stale right after the kill", result["lexical_stale_after_kill"]),
            ("--check said ok on a damaged directory", result["check_missed_damage"]),
        ],
    )
    show("where the kills landed", ("phase", "trials"), sorted(result["phases"].items()))
    if result["service_starts"]:
        show(
            "rag-serve started on the directory the kill left",
            ("trial", "/readyz", "search", "s to ready", "checks"),
            [
                (
                    s["trial"],
                    s.get("readyz"),
                    s.get("search"),
                    s.get("seconds_to_ready"),
                    s.get("readyz_checks") or s.get("error"),
                )
                for s in result["service_starts"]
            ],
        )
    return result


def _chroma(workdir: Path, quick: bool, seed: int) -> dict[str, Any]:
    result = chroma_outage.run(workdir, quick)
    show(
        "Chroma server stopped and restarted under load",
        ("phase", "requests", "200", "503 envelope", "other"),
        [(p, c["requests"], c["ok"], c["clean_503"], c["other"]) for p, c in result["by_phase"].items()],
    )
    note(
        f"outage {result['outage_s']} s; first 200 after Chroma answered again: "
        f"{result['recovery_s']} s; last failure {result['last_failure_after_restart_s']} s after it; "
        f"/readyz during the outage: {result['readyz_during_outage']}"
    )
    return result


def _llm(workdir: Path, quick: bool, seed: int) -> dict[str, Any]:
    result = llm.run(workdir, quick)
    show(
        "LLM server down or slow (backend openai)",
        ("case", "fallback", "endpoint", "status", "code / backend", "seconds", "clean"),
        [
            (
                r["case"],
                r["fallback"],
                r["endpoint"],
                r["status"],
                r["code"] or r.get("backend"),
                r["seconds"],
                r["clean"],
            )
            for r in result["rows"]
        ],
    )
    return result


def _disk(workdir: Path, quick: bool, seed: int) -> dict[str, Any]:
    result = disk.run(workdir, quick)
    show(
        "read-only and full data directories",
        ("case", "exit / status", "clear message", "intact", "message"),
        [
            (r["case"], r["status"], r["clear"], r["intact"], _gist(r["message"] or ""))
            for r in result["rows"]
        ],
    )
    return result


def _gist(message: str) -> str:
    """The line of a message that says what went wrong (a traceback's last line, a failure's reason)."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    pick = [ln for ln in lines if "reason" in ln or "Error" in ln or "error" in ln] or lines or [""]
    return pick[-1][:110]


RUNNERS = {"kill": _kill, "chroma": _chroma, "llm": _llm, "disk": _disk}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen section(s) and write one JSON report each."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("section", choices=(*SECTIONS, "all"))
    parser.add_argument("--quick", action="store_true", help="a seconds-long version (smoke test)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--out", type=Path, default=None, help="report path (one section only)")
    parser.add_argument(
        "--out-dir", type=Path, default=REPORTS, help="folder of the reports (faults_<section>.json)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args(argv)
    sections = SECTIONS if args.section == "all" else (args.section,)
    for section in sections:
        tmp = Path(tempfile.mkdtemp(prefix=f"bench-faults-{section}-"))
        try:
            started = time.monotonic()
            result = RUNNERS[section](tmp, args.quick, args.seed)
            result["section"] = section
            result["quick"] = args.quick
            result["wall_s"] = round(time.monotonic() - started, 1)
            out = (
                args.out
                if args.out and len(sections) == 1
                else args.out_dir / f"faults_{section}{'_quick' if args.quick else ''}.json"
            )
            save(result, out)
        finally:
            if args.keep:
                note(f"kept {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
