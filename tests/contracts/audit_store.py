"""What every AuditStore must do: keep records whole, export them by time range in order, and never let a
record be changed or removed, not even by SQL typed against the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from rag_service.adapters.sql_engine import engine_url
from rag_service.domain.audit import AuditedDocument, AuditRecord, AuditUnavailableError
from rag_service.domain.protocols import AuditStore

MakeStore = Callable[[], AuditStore]
T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def record(n: int, at: datetime, **fields: object) -> AuditRecord:
    base = AuditRecord(
        id=f"rec-{n}",
        time=at,
        key_name="ward-7-reader",
        endpoint="/v1/ask",
        method="POST",
        request_id=f"req-{n}",
        status=200,
        latency_ms=12.5,
        question_sha256="ab" * 32,
        documents=(
            AuditedDocument("ssc-2021", "2021", "0123456789abcdef"),
            AuditedDocument("local", None, None),
        ),
        backend="extractive",
        model="all-MiniLM-L6-v2",
        prompt_hash="p-hash",
        settings_hash="s-hash",
        support_scorer_version="calibrated-v3",
        abstention_code=None,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


class AuditStoreContract:
    """Mix into a test class that provides ``make_store`` (stores on one fresh database) and ``url`` (it)."""

    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def make_store(self, url: str) -> MakeStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, make_store: MakeStore) -> AuditStore:
        return make_store()

    def test_a_new_store_is_empty(self, store: AuditStore) -> None:
        assert list(store.export(EPOCH)) == []

    def test_every_field_round_trips(self, store: AuditStore) -> None:
        items = [
            record(1, T0),
            record(
                2,
                T0 + timedelta(microseconds=1),
                endpoint="/v1/documents/{doc_id}",
                method="DELETE",
                status=404,
                error_code="document_not_found",
                question_sha256=None,
                documents=(),
                affected_doc_ids=("gone-doc",),
                counts={"chunks_removed": 0},
            ),
            record(
                3, T0 + timedelta(seconds=1), question_text="Dose for [NAME], born [DATE]? ünïcode 'quotes'"
            ),
            record(4, T0 + timedelta(seconds=2), abstention_code="no_evidence", prompt_hash=None),
        ]
        for item in items:
            store.append(item)
        assert list(store.export(T0)) == items

    def test_export_is_inclusive_exclusive_and_ordered_by_time(self, store: AuditStore) -> None:
        store.append(record(1, T0 + timedelta(hours=2)))
        store.append(record(2, T0 - timedelta(days=1)))
        store.append(record(3, T0))
        store.append(record(4, T0 + timedelta(days=1)))
        assert [r.id for r in store.export(T0)] == ["rec-3", "rec-1", "rec-4"]
        assert [r.id for r in store.export(T0, T0 + timedelta(days=1))] == ["rec-3", "rec-1"]
        assert [r.id for r in store.export(T0 + timedelta(days=2))] == []

    def test_records_of_the_same_instant_keep_their_order(self, store: AuditStore) -> None:
        for n in (3, 1, 2):
            store.append(record(n, T0))
        assert [r.id for r in store.export(T0)] == ["rec-3", "rec-1", "rec-2"]

    def test_times_in_other_zones_mean_the_same_instant(self, store: AuditStore) -> None:
        store.append(record(1, T0.astimezone(PLUS_TWO)))
        (found,) = store.export(T0.astimezone(PLUS_TWO), (T0 + timedelta(seconds=1)).astimezone(PLUS_TWO))
        assert found.time == T0 and found.time.tzinfo == UTC

    def test_export_streams_past_one_batch_in_order(self, store: AuditStore) -> None:
        for n in range(1, 1101):
            store.append(record(n, T0 + timedelta(milliseconds=n)))
        assert [r.id for r in store.export(T0)] == [f"rec-{n}" for n in range(1, 1101)]

    def test_an_export_in_progress_does_not_block_writes(self, store: AuditStore) -> None:
        for n in range(1, 4):
            store.append(record(n, T0 + timedelta(seconds=n)))
        reading = store.export(T0)
        first = next(reading)
        store.append(record(9, T0 + timedelta(days=1)))  # would time out if the reader locked the table
        assert [first.id, *(r.id for r in reading)][:3] == ["rec-1", "rec-2", "rec-3"]
        assert [r.id for r in store.export(T0 + timedelta(hours=1))] == ["rec-9"]

    def test_records_survive_reopening(self, make_store: MakeStore) -> None:
        first = make_store()
        first.append(record(1, T0, question_text="'; DROP TABLE audit_log; --"))
        first.close()
        again = make_store()
        (found,) = again.export(T0)
        assert found.question_text == "'; DROP TABLE audit_log; --"

    def test_a_repeated_id_is_refused_and_the_first_kept(self, store: AuditStore) -> None:
        store.append(record(1, T0))
        with pytest.raises(AuditUnavailableError):
            store.append(record(1, T0, status=500))
        (kept,) = store.export(T0)
        assert kept.status == 200

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_log SET status = 200, question_text = NULL",
            "DELETE FROM audit_log",
            "DELETE FROM audit_log WHERE id = 'rec-1'",
        ],
        ids=["update", "delete_all", "delete_one"],  # short: the PostgreSQL database is named after the test
    )
    def test_sql_cannot_change_records(self, store: AuditStore, url: str, statement: str) -> None:
        store.append(record(1, T0, status=403, error_code="forbidden"))
        engine = create_engine(engine_url(url))
        try:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()
        (kept,) = store.export(T0)
        assert kept == record(1, T0, status=403, error_code="forbidden")
