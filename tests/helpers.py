"""Plain helpers shared by the tests: paths, ports, waiting for HTTP, and serving an app on loopback.

Fixtures live in conftest.py files; this module only holds functions and constants they and the tests use.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from ingest.pipeline import IngestPipeline
from ingest.report import IngestReport
from ingest.sources import discover
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.bootstrap import Components, build_components
from rag_service.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BIN = Path(sys.executable).parent

MakeComponents = Callable[..., Components]

# Hosts of the test clients: the in-process TestClient's own name and loopback.
TEST_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# The tests of search, answers, documents, pages and benchmarks run with access control off, stated here
# explicitly (the default is on); access control has its own tests (tests/integration/test_auth*.py,
# tests/browser/test_key_prompt.py), which turn it on.
OPEN_ACCESS: dict[str, dict[str, object]] = {"auth": {"enabled": False}, "api": {"allowed_hosts": TEST_HOSTS}}
OPEN_ACCESS_ENV = {"RAG_AUTH__ENABLED": "false"}


def open_access(overrides: Mapping[str, object]) -> dict[str, object]:
    """``overrides`` on top of OPEN_ACCESS; an ``auth`` or ``api`` section given there is merged into it."""
    merged: dict[str, object] = dict(overrides)
    for section, values in OPEN_ACCESS.items():
        given = overrides.get(section, {})
        merged[section] = {**values, **(given if isinstance(given, Mapping) else {})}
    return merged


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


def write_jsonl(path: Path, records: Iterable[Mapping[str, object]]) -> Path:
    """Write one JSON object a line and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@dataclass(frozen=True)
class MixedIndex:
    """The mixed corpus (every format plus bad files) ingested with ``rag-ingest --json``.

    Tests that change the index work on a copy (``copy_index``); the corpus itself is never changed.
    """

    corpus: Path
    data_dir: Path
    summary: dict[str, object]


def ingest(components: Components, *paths: Path, prune: bool = False, **kwargs: object) -> IngestReport:
    """Run the ingestion pipeline in process over files or folders."""
    files, missing = discover(list(paths))
    return IngestPipeline(components, **kwargs).run(files, missing=missing, prune=prune)  # type: ignore[arg-type]


def components_on(data_dir: Path, embedder: SentenceTransformerEmbedder, **overrides: object) -> Components:
    """Components on ``data_dir`` (not yet opened) sharing an already loaded embedding model.

    Their ingest leaves evidence sentence vectors to first use (``ingest.sentence_vectors`` false unless the
    test says otherwise): the same vectors, stored the same way, without encoding every sentence of every
    small test corpus up front. tests/integration/test_sentence_vectors.py covers storing them at ingest.
    """
    given = overrides.get("ingest", {})
    overrides = {
        **overrides,
        "ingest": {"sentence_vectors": False, **(given if isinstance(given, Mapping) else {})},
    }
    settings = Settings(data_dir=data_dir, **open_access(overrides))  # type: ignore[arg-type]
    components = build_components(settings)
    components.embedder = embedder
    return components


def jsonl_index(
    root: Path, embedder: SentenceTransformerEmbedder, records: Sequence[Mapping[str, object]]
) -> Components:
    """``records`` written as JSONL under ``root`` and all ingested into an opened index there."""
    c = components_on(root / "data", embedder)
    c.open_index()
    report = ingest(c, write_jsonl(root / "records.jsonl", records))
    assert report.ok and report.documents_written == len(records), report
    return c


def copy_index(src: Path, dest: Path) -> Path:
    """Copy a closed-for-writing data directory (catalog, keyword index, embedded Chroma) to start from it.

    Cheaper than ingesting the same corpus again for a test that changes the index; the source files stay
    where they are, so re-ingesting them from the copy finds them unchanged.
    """
    shutil.copytree(src, dest)
    return dest


def llm_env(url: str) -> dict[str, str]:
    """Environment that points the answer backend at an OpenAI-compatible server (the scripted one)."""
    return {
        "RAG_ANSWER__BACKEND": "openai",
        "RAG_LLM__BASE_URL": url,
        "RAG_LLM__MODEL": "scripted",
        "RAG_LLM__TIMEOUT_S": "1.5",
        "RAG_LLM__MAX_RETRIES": "0",
    }


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


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in a background thread; yields its base URL.

    Real HTTP without a new interpreter: for clients that only take a URL (rag-eval --url, a scripted LLM).
    """
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the in-thread server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def run_main(main: Callable[[list[str]], int], *args: str) -> tuple[int, str, str]:
    """Run a console script's entry function in process: exit code, stdout, stderr.

    The CLIs configure logging on the root logger; it is put back afterwards so later tests log as before.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return code, out.getvalue(), err.getvalue()


@contextmanager
def rag_serve(env: dict[str, str], log: Path | None = None, *, ready: bool = True) -> Iterator[str]:
    """Run the `rag-serve` console script on a free port with the given environment; yields its base URL.

    Waits for /readyz to say ready, or with ``ready=False`` only until the model is loaded (/readyz reports
    the embedder) whatever the store says. Stderr goes to ``log`` when given (to inspect what the service
    logs), otherwise it is discarded. Access control is off unless ``env`` sets ``RAG_AUTH__ENABLED``.
    """
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(BIN / "rag-serve"), "--port", str(port)],
        env={**os.environ, **OPEN_ACCESS_ENV, **env},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc=proc)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            probe = httpx.get(f"{base}/readyz", timeout=30)
            if probe.status_code == 200 or (not ready and '"embedder":"ok"' in probe.text):
                break
            time.sleep(0.5)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        if log and not isinstance(out, int):
            out.close()
