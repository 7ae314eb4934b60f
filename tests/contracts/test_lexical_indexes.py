"""The LexicalIndex contract against the in-memory fake and the bm25s index on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.adapters.bm25_index import Bm25Index
from tests.contracts.lexical_index import LexicalIndexContract, MakeIndex
from tests.fakes import InMemoryLexicalIndex, MemoryPostings


@pytest.mark.unit
class TestInMemoryLexicalIndex(LexicalIndexContract):
    @pytest.fixture
    def make_index(self) -> MakeIndex:
        registry: dict[str, MemoryPostings] = {}
        return lambda: InMemoryLexicalIndex("contract", registry)


@pytest.mark.integration
class TestBm25Index(LexicalIndexContract):
    @pytest.fixture
    def make_index(self, tmp_path: Path) -> MakeIndex:
        return lambda: Bm25Index(tmp_path / "bm25")
