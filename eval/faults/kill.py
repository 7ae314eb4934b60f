"""``kill``: SIGKILL ``rag-ingest`` at random moments, then check what the next start and the next run see.

Each trial adds new documents and revises some earlier ones in one corpus folder, starts ``rag-ingest`` on
it and kills it with SIGKILL.

Trials take turns in what they wait for before the kill (``TARGETS``): a random moment, documents
pending in the catalog, some batches committed and not others, or all writes committed before the BM25
rebuild; the catalog is watched read-only while the ingest runs. Then, in this order:

1. the directory as the kill left it is inspected (:mod:`eval.faults.consistency`), which says which phase
   the kill hit;
2. ``rag-ingest --check`` reports (exit code and summary);
3. on some trials ``rag-serve`` starts on it: ``/readyz`` and one search (the next start);
4. ``rag-ingest`` runs again on the same folder, uninterrupted;
5. the directory is inspected against what the corpus holds: documents lost, unexpected (duplicated under
   another id), left at an old revision, unfinished; passages missing from or orphaned in Chroma; the BM25
   files against the catalog.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from eval.faults.corpus import Abstract, abstracts, marker, write_doc
from eval.faults.keys import Auth
from eval.faults.procs import base_env, rag_serve, run_cli, script


def inspect(
    data_dir: Path, expected: dict[str, int] | None, chroma_port: int | None = None
) -> dict[str, Any]:
    """Run the consistency check in a fresh process; returns its JSON."""
    cmd = [sys.executable, "-m", "eval.faults.consistency", "--data-dir", str(data_dir)]
    if expected is not None:
        path = data_dir.parent / "expected.json"
        path.write_text(json.dumps(expected))
        cmd += ["--expected", str(path)]
    if chroma_port:
        cmd += ["--chroma-port", str(chroma_port)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    lines = done.stdout.strip().splitlines()
    if not lines:
        return {"consistent": False, "error": done.stderr.strip()[-800:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def phase_of(state: dict[str, Any], new_ids: list[str], finished: bool) -> str:
    """Name what the kill interrupted, from the state it left behind."""
    if finished:
        return "finished before the kill"
    if state.get("error"):
        return "unreadable"
    if state["unfinished"]:
        return "mid-write (documents pending)"
    written = len(set(new_ids) - set(state.get("lost", new_ids)))
    if written == 0:
        return "start-up / parse / embed (nothing written)"
    if written < len(new_ids):
        return "between batches"
    if not state["lexical_consistent"]:
        return "after the writes, before the BM25 rebuild"
    return "at the end (all written)"


# What each trial waits for before the kill, in turn: a random moment (mostly start-up, parsing and
# embedding), documents half-written (pending in the catalog), some batches committed and not others, and
# every write committed with the BM25 rebuild not yet done. The catalog is watched read-only (WAL mode).
TARGETS = ("timed", "pending", "partial", "written", "timed", "pending", "partial", "written")


def _catalog(data_dir: Path) -> Path | None:
    found = sorted(data_dir.glob("index/*/catalog.sqlite3"))
    return found[0] if found else None


def _catalog_state(path: Path) -> tuple[int, int, int] | None:
    """(complete documents, pending or deleting ones, lexical version), or None while unreadable."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)
        try:
            complete = conn.execute("SELECT COUNT(*) FROM documents WHERE status = 'complete'").fetchone()[0]
            pending = conn.execute("SELECT COUNT(*) FROM documents WHERE status != 'complete'").fetchone()[0]
            version = conn.execute("SELECT value FROM meta WHERE key = 'lexical_version'").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(complete), int(pending), int(version)


def _kill_after(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL ``proc`` after ``seconds``; True when it had finished by itself."""
    try:
        proc.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return False


def _kill_when(proc: subprocess.Popen[bytes], data_dir: Path, target: str, new: int) -> bool:
    """SIGKILL ``proc`` as soon as the catalog shows ``target``; True when it finished first."""
    path = _catalog(data_dir)
    start = _catalog_state(path) if path else None
    if path is None or start is None:
        return _kill_after(proc, 5.0)
    complete0, _, version0 = start
    while proc.poll() is None:
        state = _catalog_state(path)
        if state is not None:
            complete, pending, version = state
            hit = (
                (target == "pending" and pending > 0)
                or (target == "partial" and complete0 < complete < complete0 + new)
                or (
                    target == "written"
                    and pending == 0
                    and complete >= complete0 + new
                    and version > version0
                )
            )
            if hit:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return False
        time.sleep(0.005)
    return True


def _ingest(corpus: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [script("rag-ingest"), str(corpus), "--json", "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _probe_service(env: dict[str, str], log: Path, auth: Auth, phrase: str) -> dict[str, Any]:
    """Start the service on the directory as it is; report readiness and one search for ``phrase``."""
    started = time.monotonic()
    try:
        with rag_serve(env, log, need_ready=False, timeout=240) as svc:
            deadline = time.monotonic() + 30
            ready = httpx.get(f"{svc.base}/readyz", timeout=30)
            while ready.status_code != 200 and time.monotonic() < deadline:
                time.sleep(1)
                ready = httpx.get(f"{svc.base}/readyz", timeout=30)
            found = httpx.post(
                f"{svc.base}/v1/search",
                json={"question": phrase, "top_k": 3},
                headers=auth.headers("reader"),
                timeout=60,
            )
            return {
                "readyz": ready.status_code,
                "readyz_checks": ready.json().get("checks"),
                "search": found.status_code,
                "seconds_to_ready": round(time.monotonic() - started, 1),
            }
    except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
        return {"error": str(exc)[:300]}


def run(
    workdir: Path,
    auth: Auth,
    trials: int,
    new_per_trial: int,
    revise_per_trial: int,
    seed: int,
    serve_every: int,
) -> dict[str, Any]:
    """Run the kill trials; returns the report section."""
    rng = random.Random(seed)  # noqa: S311 - reproducible kill times, not a secret
    data, corpus = workdir / "data", workdir / "corpus"
    # Small batches, so a run has several commit points to be killed between.
    env = base_env(data, {**auth.env(), "RAG_INGEST__BATCH_CHUNKS": "24"})
    pool: list[Abstract] = abstracts()
    rng.shuffle(pool)
    expected: dict[str, int] = {}
    used = 0

    def add(count: int) -> list[str]:
        nonlocal used
        ids = []
        for _ in range(count):
            source = pool[used % len(pool)]
            doc_id = write_doc(corpus, f"k{used:04d}", source)
            expected[doc_id] = 0
            ids.append(doc_id)
            used += 1
        return ids

    # A first, uninterrupted run sets the scale of the kill times.
    add(new_per_trial)
    began = time.monotonic()
    first = run_cli(["rag-ingest", str(corpus), "--json", "--no-progress"], env, timeout=900)
    duration = time.monotonic() - began
    if first.returncode != 0:
        raise SystemExit(f"the first ingest failed ({first.returncode}): {first.stderr[-500:]}")
    rows: list[dict[str, Any]] = []
    for trial in range(trials):
        new_ids = add(new_per_trial)
        revised = rng.sample(
            sorted(set(expected) - set(new_ids)), min(revise_per_trial, len(expected) - len(new_ids))
        )
        for doc_id in revised:
            expected[doc_id] += 1
            write_doc(corpus, doc_id[:5], pool[int(doc_id[1:5]) % len(pool)], expected[doc_id])
        target = TARGETS[trial % len(TARGETS)]
        proc = _ingest(corpus, env)
        began = time.monotonic()
        if target == "timed":
            # Somewhere in start-up, parsing or embedding, at a random moment.
            finished = _kill_after(proc, rng.uniform(0.05, 0.9) * duration)
        else:
            finished = _kill_when(proc, data, target, len(new_ids))
        kill_after = time.monotonic() - began
        after_kill = inspect(data, expected)
        row: dict[str, Any] = {
            "trial": trial,
            "target": target,
            "kill_after_s": round(kill_after, 2),
            "phase": phase_of(after_kill, new_ids, finished),
            "after_kill": {
                k: after_kill.get(k)
                for k in (
                    "unfinished",
                    "lexical_consistent",
                    "missing_in_store_count",
                    "orphans_in_store_count",
                )
            },
        }
        check = run_cli(["rag-ingest", "--check", "--json"], env, timeout=300)
        row["check_after_kill"] = {"exit": check.returncode, "summary": _json_or_text(check.stdout)}
        if serve_every and trial % serve_every == 0:
            row["service_after_kill"] = _probe_service(
                env, workdir / "serve.log", auth, marker(new_ids[0][:5])
            )
            row["lexical_consistent_after_start"] = inspect(data, None).get("lexical_consistent")
        began = time.monotonic()
        again = run_cli(["rag-ingest", str(corpus), "--json", "--no-progress"], env, timeout=900)
        row["recovery_ingest"] = {"exit": again.returncode, "seconds": round(time.monotonic() - began, 1)}
        final = inspect(data, expected)
        check = run_cli(["rag-ingest", "--check", "--json"], env, timeout=300)
        row["check_after_recovery"] = check.returncode
        row["final"] = {
            k: final.get(k)
            for k in (
                "lost",
                "unexpected",
                "stale_revisions",
                "unfinished",
                "missing_in_store_count",
                "orphans_in_store_count",
                "bm25_duplicates",
                "lexical_consistent",
                "consistent",
                "error",
            )
        }
        rows.append(row)
        print(f"kill trial {trial}: {row['phase']}; final consistent={final.get('consistent')}", flush=True)
    finals = [r["final"] for r in rows]
    return {
        "trials": trials,
        "documents_in_corpus": len(expected),
        "new_documents_per_trial": new_per_trial,
        "revised_documents_per_trial": revise_per_trial,
        "uninterrupted_run_s": round(duration, 1),
        "killed": sum(r["phase"] != "finished before the kill" for r in rows),
        "phases": _count(r["phase"] for r in rows),
        "documents_lost": sum(len(f.get("lost") or []) for f in finals),
        "documents_unexpected": sum(len(f.get("unexpected") or []) for f in finals),
        "documents_stale_revision": sum(len(f.get("stale_revisions") or []) for f in finals),
        "passages_orphaned": sum(f.get("orphans_in_store_count") or 0 for f in finals),
        "passages_missing": sum(f.get("missing_in_store_count") or 0 for f in finals),
        "bm25_duplicates": sum(f.get("bm25_duplicates") or 0 for f in finals),
        "lexical_inconsistent_after_recovery": sum(not f.get("lexical_consistent") for f in finals),
        "lexical_stale_after_kill": sum(not r["after_kill"]["lexical_consistent"] for r in rows),
        "check_missed_damage": sum(
            r["check_after_kill"]["exit"] == 0
            and (r["after_kill"]["unfinished"] or not r["after_kill"]["lexical_consistent"])
            for r in rows
        ),
        "service_starts": [
            r["service_after_kill"] | {"trial": r["trial"]} for r in rows if "service_after_kill" in r
        ],
        "rows": rows,
    }


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()[-300:]


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
