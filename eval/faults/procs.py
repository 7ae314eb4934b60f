"""Child processes of the benchmarks: ``rag-serve``, ``chroma run`` and the CLIs, with their environment.

Every process gets ``RAG_DATA_DIR`` (a temporary directory) and the authentication settings of
:mod:`eval.faults.keys` explicitly, so nothing leaks in from the operator's own configuration.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def script(name: str) -> str:
    """The path of console script ``name`` next to this interpreter (or on PATH)."""
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"console script {name!r} not found next to {sys.executable}")
    return found


def base_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: quiet logs, no telemetry, the given data directory, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        {
            "RAG_DATA_DIR": str(data_dir),
            "RAG_LOG_LEVEL": "WARNING",
            "ANONYMIZED_TELEMETRY": "False",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    env.update(extra or {})
    return env


def run_cli(
    args: list[str], env: Mapping[str, str], timeout: float = 600, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a console script to completion, capturing its output (``user``: run it as that user via runuser)."""
    cmd = [script(args[0]), *args[1:]]
    if user is not None:
        cmd = ["runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items()), *cmd]
    return subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)


def wait_ready(
    base: str, proc: subprocess.Popen[bytes], timeout: float = 300, need_ready: bool = True
) -> None:
    """Poll ``/readyz`` until it answers 200 (or, with ``need_ready=False``, anything once the model loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rag-serve exited with {proc.returncode} before it was ready")
        try:
            probe = httpx.get(f"{base}/readyz", timeout=10)
            if probe.status_code == 200 or (not need_ready and '"embedder":"ok"' in probe.text):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{base}/readyz was not ready within {timeout:.0f} s")


@dataclass
class Service:
    """A running ``rag-serve``: its base URL, process and log file."""

    base: str
    proc: subprocess.Popen[bytes]
    log: Path
    peak_rss_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample_rss(self, interval: float = 0.2) -> threading.Thread:
        """Record the peak resident memory of the service (children included) until it stops."""

        def loop() -> None:
            import psutil  # the bench extra

            try:
                root = psutil.Process(self.proc.pid)
            except psutil.Error:
                return
            while not self._stop.is_set():
                try:
                    rss = root.memory_info().rss + sum(
                        c.memory_info().rss for c in root.children(recursive=True)
                    )
                except psutil.Error:
                    return
                self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
                self._stop.wait(interval)

        thread = threading.Thread(target=loop, name="rss-sampler", daemon=True)
        thread.start()
        return thread

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the service's log (stdout and stderr)."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@contextmanager
def rag_serve(
    env: Mapping[str, str], log: Path, *, need_ready: bool = True, timeout: float = 300
) -> Iterator[Service]:
    """Start ``rag-serve`` on a free loopback port; yields it once ready, stops it with Ctrl-C (then kill)."""
    port = free_port()
    out: IO[bytes] = open(log, "ab")  # noqa: SIM115 - kept open for the process's lifetime
    proc = subprocess.Popen(
        [script("rag-serve"), "--host", "127.0.0.1", "--port", str(port)],
        env=dict(env),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    service = Service(f"http://127.0.0.1:{port}", proc, log)
    try:
        wait_ready(service.base, proc, timeout, need_ready)
        yield service
    finally:
        service._stop.set()
        stop(proc)
        out.close()


def stop(proc: subprocess.Popen[bytes], grace: float = 30) -> None:
    """Ctrl-C a process, and kill it when it has not exited after ``grace`` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


class ChromaServer:
    """A real ``chroma run`` server on loopback that can be stopped and started again on the same path."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.port = free_port()
        self._log = log
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The service settings that point at this server."""
        return {"RAG_STORE__HOST": "127.0.0.1", "RAG_STORE__PORT": str(self.port)}

    def start(self, timeout: float = 60) -> float:
        """Start the server and wait for its heartbeat; returns the seconds that took."""
        started = time.monotonic()
        with open(self._log, "ab") as out:
            self._proc = subprocess.Popen(
                [
                    script("chroma"),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._proc.returncode}; see {self._log}")
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2)
                return time.monotonic() - started
            except httpx.TransportError:
                time.sleep(0.2)
        raise TimeoutError(f"chroma run did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=15)
        self._proc = None
