"""``disk``: a data directory on a read-only filesystem, and one on a filesystem that fills up.

Both are real filesystems: a small tmpfs mounted for the run (needs root, as on the development machine
and in CI), remounted read-only for the first case and filled with a filler file for the second. Running as
an unprivileged user cannot stand in here, because the interpreter lives under a directory only root may
enter. When mounting is refused the section reports itself skipped with the reason.

Cases: ``rag-ingest`` and an upload (``POST /v1/documents``) on each; the service's start and a search on the
read-only one. Each records the exit code or HTTP status, the message the user sees, whether that message
names the problem (read-only, no space, permission), and whether the directory is intact afterwards (the
consistency check of :mod:`eval.faults.consistency` once the fault is lifted, and a later ingest finishing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from eval.faults.corpus import abstracts, document_text, write_doc
from eval.faults.keys import Auth, prepare
from eval.faults.kill import inspect
from eval.faults.load import error_code
from eval.faults.procs import base_env, rag_serve, run_cli

CLEAR_WORDS = (
    "read-only",
    "read only",
    "no space",
    "disk full",
    "disk is full",
    "may be full",
    "cannot be written",
    "permission",
    "not writable",
    "errno 28",
    "errno 30",
)


def _clear(message: str) -> bool:
    low = message.lower()
    return any(w in low for w in CLEAR_WORDS) and "traceback" not in low


def _mount(target: Path, size_mb: int) -> str | None:
    """Mount a tmpfs of ``size_mb`` on ``target``; returns why not, or None."""
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def _remount(target: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(target)], check=True, capture_output=True)


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


def _fill(target: Path, leave_kb: int) -> Path:
    """Take all but ``leave_kb`` of the filesystem's free space with a filler file."""
    filler = target / "filler.bin"
    free = shutil.disk_usage(target).free - leave_kb * 1024
    with open(filler, "wb") as f:
        chunk = b"\0" * 2**20
        while free > 0:
            n = min(free, len(chunk))
            f.write(chunk[:n])
            free -= n
    return filler


def _upload(base: str, auth: Auth, name: str, text: str) -> dict[str, Any]:
    try:
        res = httpx.post(
            f"{base}/v1/documents",
            files=[("files", (name, text.encode(), "text/markdown"))],
            headers=auth.headers("editor"),
            timeout=300,
        )
    except httpx.HTTPError as exc:
        return {"status": f"transport error {type(exc).__name__}", "message": str(exc)}
    message = res.text[:400]
    try:
        files = res.json().get("files")
        if res.status_code == 200 and files:
            message = f"{files[0]['status']}: {files[0]['error']}"
    except (ValueError, AttributeError):
        pass
    return {"status": res.status_code, "code": error_code(res), "message": message}


def _row(case: str, status: Any, message: str, intact: bool, **extra: Any) -> dict[str, Any]:
    return {
        "case": case,
        "status": status,
        "message": message.strip()[-400:],
        "clear": _clear(message),
        "intact": intact,
        **extra,
    }


def run(workdir: Path, quick: bool) -> dict[str, Any]:
    """Run both cases; returns the report section."""
    mnt = workdir / "mnt"
    why = _mount(mnt, 64)
    if why is not None:
        return {"skipped": f"cannot mount a tmpfs: {why}", "rows": []}
    rows: list[dict[str, Any]] = []
    try:
        data = mnt / "data"
        sources = abstracts()
        corpus, more = workdir / "corpus", workdir / "more"
        n = 3 if quick else 8
        for i, s in enumerate(sources[:n]):
            write_doc(corpus, f"d{i:04d}", s)
        for i, s in enumerate(sources[n : 2 * n]):
            write_doc(more, f"e{i:04d}", s)
        auth = prepare(data)
        env = base_env(data, auth.env())
        first = run_cli(["rag-ingest", str(corpus), "--json", "--no-progress"], env)
        if first.returncode != 0:
            raise SystemExit(f"rag-ingest failed: {first.stderr[-500:]}")
        before = inspect(data, None)

        # Read-only filesystem.
        _remount(mnt, "ro")
        try:
            done = run_cli(["rag-ingest", str(more), "--json", "--no-progress"], env)
            rows.append(_row("read-only: rag-ingest", done.returncode, done.stderr + done.stdout, True))
            try:
                with rag_serve(env, workdir / "serve-ro.log", need_ready=False, timeout=180) as svc:
                    ready = httpx.get(f"{svc.base}/readyz", timeout=30)
                    found = httpx.post(
                        f"{svc.base}/v1/search",
                        json={"question": sources[0].title},
                        headers=auth.headers("reader"),
                        timeout=60,
                    )
                    rows.append(
                        _row("read-only: rag-serve start, /readyz", ready.status_code, ready.text, True)
                    )
                    rows.append(_row("read-only: search", found.status_code, found.text[:300], True))
                    up = _upload(svc.base, auth, "ro-upload.md", document_text("rofile", sources[-1]))
                    rows.append(
                        _row("read-only: upload", up["status"], up["message"], True, code=up.get("code"))
                    )
            except (RuntimeError, TimeoutError) as exc:
                log = (workdir / "serve-ro.log").read_text(errors="replace")[-600:]
                rows.append(_row("read-only: rag-serve start", "did not start", f"{exc}; log: {log}", True))
        finally:
            _remount(mnt, "rw")
        after_ro = inspect(data, None)
        intact = after_ro.get("consistent", False) and after_ro.get("documents") == before.get("documents")
        for r in rows:
            r["intact"] = bool(intact)

        # Full filesystem: rag-ingest, then an upload through the service.
        filler = _fill(mnt, 64)
        done = run_cli(["rag-ingest", str(more), "--json", "--no-progress"], env)
        filler.unlink()
        state = inspect(data, None)
        rerun = run_cli(["rag-ingest", str(more), "--json", "--no-progress"], env)
        rows.append(
            _row(
                "disk full: rag-ingest",
                done.returncode,
                done.stderr + done.stdout,
                bool(state.get("consistent")) and rerun.returncode == 0,
                unfinished_after=state.get("unfinished"),
                rerun_exit=rerun.returncode,
            )
        )
        with rag_serve(env, workdir / "serve-full.log") as svc:
            filler = _fill(mnt, 64)
            up = _upload(svc.base, auth, "full-upload.md", document_text("fullfile", sources[-2]))
            found = httpx.post(
                f"{svc.base}/v1/search",
                json={"question": sources[0].title},
                headers=auth.headers("reader"),
                timeout=60,
            )
            filler.unlink()
            again = _upload(svc.base, auth, "full-upload.md", document_text("fullfile", sources[-2]))
        state = inspect(data, None)
        rows.append(
            _row(
                "disk full: upload",
                up["status"],
                up["message"],
                bool(state.get("consistent")) and again["status"] == 200 and "ingested" in again["message"],
                code=up.get("code"),
                search_while_full=found.status_code,
                upload_after_freeing=again["message"][:120],
            )
        )
    finally:
        os.sync()
        _umount(mnt)
    return {
        "filesystem": "tmpfs, 64 MB",
        "auth": auth.describe(),
        "unclear": sum(not r["clear"] for r in rows if r["status"] not in (0, 200)),
        "not_intact": sum(not r["intact"] for r in rows),
        "rows": rows,
    }
