"""Shared fixtures: paths to shared data, a warm embedding model, and a real Chroma server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.bootstrap import Components, build_components
from rag_service.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BIN = Path(sys.executable).parent


def shared(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when the shared data is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 120.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll a URL until it answers (any status) or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@pytest.fixture(scope="session")
def warm_embedder() -> SentenceTransformerEmbedder:
    """The real bundled model, loaded once for the whole session."""
    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.embedding, settings.model_label())
    embedder.warm_up()
    return embedder


@pytest.fixture
def make_components(tmp_path: Path, warm_embedder: SentenceTransformerEmbedder) -> Iterator[object]:
    """Factory of components on a fresh data directory, sharing the warm model."""
    built: list[Components] = []

    def make(**overrides: object) -> Components:
        settings = Settings(data_dir=tmp_path / "data", **overrides)  # type: ignore[arg-type]
        components = build_components(settings)
        components.embedder = warm_embedder
        built.append(components)
        return components

    yield make
    for c in built:
        c.close()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real `chroma run` server on loopback for the whole session."""
    chroma = shutil.which("chroma", path=str(BIN)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the chroma CLI (from the chromadb package) is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60, proc=proc)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def rag_serve(env: dict[str, str], log: Path | None = None) -> Iterator[str]:
    """Run `rag-serve` on a free port with the given environment until ready; yields its base URL.

    Stderr goes to ``log`` when given (to inspect what the service logs), otherwise it is discarded.
    """
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(BIN / "rag-serve"), "--port", str(port)],
        env={**os.environ, **env},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc=proc)
        deadline = time.monotonic() + 120
        while httpx.get(f"{base}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        if log and not isinstance(out, int):
            out.close()
