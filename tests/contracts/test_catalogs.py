"""The DocumentCatalog contract against the SQLite catalog (the only implementation; it is cheap to run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.adapters.sqlite_catalog import SqliteCatalog
from tests.contracts.catalog import CatalogContract, MakeCatalog

IDENTITY = {"collection": "contract", "embedding_model": "contract-model", "chunk_tokens": "200"}


@pytest.mark.unit
class TestSqliteCatalog(CatalogContract):
    @pytest.fixture
    def make_catalog(self, tmp_path: Path) -> MakeCatalog:
        def make() -> SqliteCatalog:
            catalog = SqliteCatalog(tmp_path / "catalog.sqlite3")
            catalog.open(IDENTITY)
            return catalog

        return make
