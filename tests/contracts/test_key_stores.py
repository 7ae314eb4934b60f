"""The KeyStore contract against SQLite (the default) and a real PostgreSQL server (see conftest)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rag_service.adapters.sql_keys import SqlKeyStore
from rag_service.domain.errors import StoreUnavailableError
from rag_service.domain.protocols import KeyStore
from tests.contracts.key_store import KeyStoreContract, MakeStore, key
from tests.helpers import free_port


@pytest.mark.unit
class TestSqliteKeyStore(KeyStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[MakeStore]:
        made: list[KeyStore] = []

        def make() -> KeyStore:
            made.append(SqlKeyStore(f"sqlite:///{tmp_path / 'nested' / 'keys.sqlite3'}"))
            return made[-1]

        yield make
        for store in made:
            store.close()


@pytest.mark.integration
@pytest.mark.process
class TestPostgresKeyStore(KeyStoreContract):
    @pytest.fixture
    def make_store(self, new_database: Callable[[str], str]) -> Iterator[MakeStore]:
        url = new_database("keys")
        made: list[KeyStore] = []

        def make() -> KeyStore:
            made.append(SqlKeyStore(url))
            return made[-1]

        yield make
        for store in made:
            store.close()


@pytest.mark.unit
def test_an_unreachable_database_is_store_unavailable() -> None:
    store = SqlKeyStore(f"postgresql://postgres@127.0.0.1:{free_port()}/keys")
    with pytest.raises(StoreUnavailableError, match="key database is not available"):
        store.list_keys()
    with pytest.raises(StoreUnavailableError):
        store.add(key("x"), "0" * 64)
