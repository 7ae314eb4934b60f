"""Session fixtures shared by every tier: a warm embedding model, components on a fresh data directory, a real
Chroma server, the scripted LLM server and one ingested corpus, plus the check that every test names its tier.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.bootstrap import Components
from rag_service.settings import Settings
from tests import fake_llm as scripted_llm
from tests.corpora import RECORDS
from tests.helpers import (
    BIN,
    MakeComponents,
    components_on,
    free_port,
    jsonl_index,
    serve_in_thread,
    wait_http,
)

TIERS = ("unit", "integration")
# Fixtures that start a child process: a test using one must be marked `process` so `-m "not process"` works.
PROCESS_FIXTURES = ("chroma_server",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a test without exactly one tier marker, or one that starts a process without saying so."""
    problems = []
    for item in items:
        tiers = [t for t in TIERS if item.get_closest_marker(t)]
        if len(tiers) != 1:
            problems.append(f"{item.nodeid}: needs exactly one of {TIERS}, has {tiers}")
        uses = [f for f in PROCESS_FIXTURES if f in getattr(item, "fixturenames", ())]
        if uses and not item.get_closest_marker("process"):
            problems.append(f"{item.nodeid}: uses {uses} but is not marked process")
    if problems:
        raise pytest.UsageError("inconsistent test markers:\n" + "\n".join(problems))


@pytest.fixture(scope="session")
def warm_embedder() -> SentenceTransformerEmbedder:
    """The real bundled model, loaded once for the whole session."""
    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.embedding, settings.model_label())
    embedder.warm_up()
    return embedder


@pytest.fixture
def make_components(tmp_path: Path, warm_embedder: SentenceTransformerEmbedder) -> Iterator[MakeComponents]:
    """Factory of components on a fresh data directory, sharing the warm model."""
    built: list[Components] = []

    def make(**overrides: object) -> Components:
        components = components_on(tmp_path / "data", warm_embedder, **overrides)
        built.append(components)
        return components

    yield make
    for c in built:
        c.close()


@pytest.fixture(scope="session")
def records_index(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[Components]:
    """The RECORDS corpus ingested once, opened, for every test that only reads it."""
    c = jsonl_index(tmp_path_factory.mktemp("records"), warm_embedder, RECORDS)
    yield c
    c.close()


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[str]:
    """The scripted OpenAI-compatible chat server (tests/fake_llm.py) on loopback; yields its /v1 URL."""
    with serve_in_thread(scripted_llm.app) as base:
        yield f"{base}/v1"


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
