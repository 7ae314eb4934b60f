"""The FeedbackStore contract against SQLite (the default) and a real PostgreSQL server (see conftest)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rag_service.adapters.sql_feedback import SqlFeedbackStore
from tests.contracts.feedback_store import FeedbackStoreContract, MakeStore


@pytest.mark.unit
class TestSqliteFeedbackStore(FeedbackStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> MakeStore:
        return lambda: SqlFeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")


@pytest.mark.integration
@pytest.mark.process
class TestPostgresFeedbackStore(FeedbackStoreContract):
    @pytest.fixture
    def make_store(self, new_database: Callable[[str], str]) -> Iterator[MakeStore]:
        url = new_database("feedback")
        made: list[SqlFeedbackStore] = []

        def make() -> SqlFeedbackStore:
            made.append(SqlFeedbackStore(url))
            return made[-1]

        yield make
        for store in made:
            store.close()
