"""Integration fixtures: the app in process over warm components, the LLM-backed variant, and the mixed corpus
ingested once through the rag-ingest entry function."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ingest.cli import main as rag_ingest
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.api.app import create_app
from rag_service.api.deps import get_answers
from rag_service.bootstrap import Components, build_components
from rag_service.services.answering import AnswerService
from rag_service.settings import Settings
from tests.corpora import write_corpus
from tests.helpers import MixedIndex, components_on, copy_index, run_main


@pytest.fixture(scope="session")
def api(records_index: Components) -> Iterator[TestClient]:
    """The app in process over the ingested RECORDS corpus (its lifespan runs once for the session)."""
    with TestClient(create_app(records_index.settings, components=records_index)) as client:
        yield client


def llm_settings(data_dir: Path, base_url: str) -> Settings:
    """Settings of the LLM answer backend pointed at the scripted server."""
    return Settings(
        data_dir=data_dir,
        answer={"backend": "openai"},
        llm={"base_url": base_url, "model": "scripted", "timeout_s": 1.5, "max_retries": 0},
    )


@pytest.fixture(scope="session")
def llm_components(records_index: Components, fake_llm: str) -> Components:
    """Components answering with the scripted LLM over the same open index as ``records_index``."""
    c = build_components(llm_settings(records_index.settings.data_dir, fake_llm))
    c.embedder = records_index.embedder
    c.catalog = records_index.catalog
    c.store = records_index.store
    c.lexical = records_index.lexical
    c.index = records_index.index
    c.view = records_index.view
    c.reranker = records_index.reranker
    return c


@pytest.fixture
def llm_api(api: TestClient, llm_components: Components) -> Iterator[TestClient]:
    """The in-process app with its answering dependency overridden by the LLM-backed service."""
    answers = llm_components.answer_service(llm_components.search_service())

    def llm_answers() -> AnswerService:
        return answers

    app = cast(FastAPI, api.app)
    app.dependency_overrides[get_answers] = llm_answers
    try:
        yield api
    finally:
        app.dependency_overrides.pop(get_answers, None)


@pytest.fixture(scope="session")
def mixed_index(tmp_path_factory: pytest.TempPathFactory) -> MixedIndex:
    """The mixed corpus ingested once through the rag-ingest entry function."""
    root = tmp_path_factory.mktemp("mixed")
    corpus = write_corpus(root / "corpus")
    data_dir = root / "rag-data"
    code, out, err = run_main(rag_ingest, "--json", "--data-dir", str(data_dir), str(corpus))
    assert code == 1, err  # some files are bad on purpose
    return MixedIndex(corpus, data_dir, json.loads(out))


@pytest.fixture(scope="session")
def mixed_api(
    mixed_index: MixedIndex,
    warm_embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    """The app in process over a copy of the mixed corpus's index."""
    data_dir = copy_index(mixed_index.data_dir, tmp_path_factory.mktemp("mixed-api") / "data")
    c = components_on(data_dir, warm_embedder)
    with TestClient(create_app(c.settings, components=c)) as client:
        yield client
