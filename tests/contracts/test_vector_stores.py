"""The VectorStore contract against the in-memory fake, embedded Chroma and a real `chroma run` server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from rag_service.adapters.chroma_store import ChromaVectorStore
from rag_service.settings import Settings
from tests.contracts.vector_store import MakeStore, VectorStoreContract
from tests.fakes import InMemoryVectorStore, MemoryCollection


@pytest.mark.unit
class TestInMemoryVectorStore(VectorStoreContract):
    @pytest.fixture
    def make_store(self) -> MakeStore:
        registry: dict[str, MemoryCollection] = {}
        return lambda: InMemoryVectorStore("contract", registry)


@pytest.mark.integration
class TestEmbeddedChroma(VectorStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> MakeStore:
        settings = Settings(data_dir=tmp_path, store={"collection_prefix": "contract"})
        return lambda: ChromaVectorStore(settings)


@pytest.mark.integration
@pytest.mark.process
class TestChromaServer(VectorStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path, chroma_server: tuple[str, int]) -> MakeStore:
        host, port = chroma_server
        store = {"host": host, "port": port, "collection_prefix": f"c{uuid.uuid4().hex[:8]}"}
        settings = Settings(data_dir=tmp_path, store=store)
        return lambda: ChromaVectorStore(settings)
