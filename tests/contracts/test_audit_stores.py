"""The AuditStore contract against SQLite (the default) and a real PostgreSQL server (see conftest)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from rag_service.adapters.sql_audit import SqlAuditStore
from rag_service.adapters.sql_engine import engine_url
from rag_service.domain.protocols import AuditStore
from tests.contracts.audit_store import T0, AuditStoreContract, MakeStore, record


def _maker(url: str) -> tuple[MakeStore, list[SqlAuditStore]]:
    made: list[SqlAuditStore] = []

    def make() -> SqlAuditStore:
        made.append(SqlAuditStore(url))
        return made[-1]

    return make, made


@pytest.mark.unit
class TestSqliteAuditStore(AuditStoreContract):
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'audit.sqlite3'}"

    @pytest.fixture
    def make_store(self, url: str) -> Iterator[MakeStore]:
        make, made = _maker(url)
        yield make
        for store in made:
            store.close()

    def test_the_file_is_in_wal_mode(self, store: AuditStore, url: str) -> None:
        store.append(record(1, T0))
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        finally:
            engine.dispose()


@pytest.mark.integration
@pytest.mark.process
class TestPostgresAuditStore(AuditStoreContract):
    @pytest.fixture
    def url(self, new_database: Callable[[str], str]) -> str:
        return new_database("audit")

    @pytest.fixture
    def make_store(self, url: str) -> Iterator[MakeStore]:
        make, made = _maker(url)
        yield make
        for store in made:
            store.close()

    def test_truncate_is_refused_too(self, store: AuditStore, url: str) -> None:
        store.append(record(1, T0))
        engine = create_engine(engine_url(url))
        try:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text("TRUNCATE audit_log"))
        finally:
            engine.dispose()
        assert [r.id for r in store.export(T0)] == ["rec-1"]
