"""The audit trail in a SQL database through SQLAlchemy: a SQLite file by default, PostgreSQL by URL.

Append only, twice over: this class has no way to change or remove a row, and the database itself refuses
``UPDATE`` and ``DELETE`` on the table (and ``TRUNCATE`` on PostgreSQL) with triggers created with it, so a
stray script or a hand-typed statement cannot rewrite history either. SQLite runs in WAL mode, so a long
``rag-audit export`` never blocks the service's writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from rag_service.adapters.sql_engine import LazyEngine, failure_reason, naive_utc
from rag_service.domain.audit import AuditedDocument, AuditRecord, AuditUnavailableError

TABLE = "audit_log"
_META = MetaData()
AUDIT = Table(
    TABLE,
    _META,
    # The insertion order breaks ties between records of the same microsecond.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    # Naive UTC: SQLite keeps no zone, and one convention for both databases keeps ranges comparable.
    Column("time", DateTime(timezone=False), nullable=False, index=True),
    Column("key_name", String(200), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("method", String(16), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("error_code", String(64)),
    Column("latency_ms", Float, nullable=False),
    Column("question_sha256", String(64)),
    Column("question_text", Text),
    Column("documents", JSON, nullable=False),
    Column("backend", String(100)),
    Column("model", String(300)),
    Column("prompt_hash", String(128)),
    Column("settings_hash", String(64)),
    Column("support_scorer_version", String(300)),
    Column("abstention_code", String(64)),
    Column("affected_doc_ids", JSON, nullable=False),
    Column("counts", JSON, nullable=False),
)

_REFUSAL = "audit_log is append-only"
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "sqlite": tuple(
        f"CREATE TRIGGER {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        for op in ("UPDATE", "DELETE")
    ),
    "postgresql": (
        f"CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$",
        f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse()",
    ),
}


@event.listens_for(AUDIT, "after_create")
def _refuse_changes(_table: Table, connection: Connection, **_kw: Any) -> None:
    """Create the triggers in the transaction that created the table, so it never exists without them."""
    for statement in _TRIGGERS.get(connection.dialect.name, ()):
        connection.execute(text(statement))


_BATCH = 500


class SqlAuditStore:
    """The ``audit_log`` table with its refusal triggers, created on first use; connections are pooled."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine = LazyEngine(
            url, _META, "audit database", unavailable=AuditUnavailableError, sqlite_wal=True
        )

    def _db(self) -> Engine:
        return self._engine.get()

    def append(self, record: AuditRecord) -> None:
        """Insert one row.

        Raises:
            AuditUnavailableError: The database cannot be reached or refused the row (e.g. a repeated id).
        """
        row = {
            "id": record.id,
            "time": naive_utc(record.time),
            "key_name": record.key_name,
            "endpoint": record.endpoint,
            "method": record.method,
            "request_id": record.request_id,
            "status": record.status,
            "error_code": record.error_code,
            "latency_ms": record.latency_ms,
            "question_sha256": record.question_sha256,
            "question_text": record.question_text,
            "documents": [
                {"doc_id": d.doc_id, "version": d.version, "content_hash": d.content_hash}
                for d in record.documents
            ],
            "backend": record.backend,
            "model": record.model,
            "prompt_hash": record.prompt_hash,
            "settings_hash": record.settings_hash,
            "support_scorer_version": record.support_scorer_version,
            "abstention_code": record.abstention_code,
            "affected_doc_ids": list(record.affected_doc_ids),
            "counts": dict(record.counts),
        }
        try:
            with self._db().begin() as conn:
                conn.execute(insert(AUDIT).values(**row))
        except SQLAlchemyError as exc:
            raise AuditUnavailableError(
                f"the audit record could not be written: {failure_reason(exc)}"
            ) from exc

    def export(self, since: datetime, until: datetime | None = None) -> Iterator[AuditRecord]:
        """Records with ``since <= time < until``, oldest first, fetched ``_BATCH`` rows at a time.

        Raises:
            AuditUnavailableError: The database cannot be read.
        """
        query = select(AUDIT).where(AUDIT.c.time >= naive_utc(since))
        if until is not None:
            query = query.where(AUDIT.c.time < naive_utc(until))
        query = query.order_by(AUDIT.c.time, AUDIT.c.seq)
        try:
            with self._db().connect() as conn:
                result = conn.execution_options(yield_per=_BATCH).execute(query)
                for row in result.mappings():
                    yield _record(dict(row))
        except SQLAlchemyError as exc:
            raise AuditUnavailableError(f"the audit trail could not be read: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Dispose of the connection pool."""
        self._engine.close()


def _record(row: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        id=row["id"],
        time=row["time"].replace(tzinfo=UTC),
        key_name=row["key_name"],
        endpoint=row["endpoint"],
        method=row["method"],
        request_id=row["request_id"],
        status=row["status"],
        error_code=row["error_code"],
        latency_ms=row["latency_ms"],
        question_sha256=row["question_sha256"],
        question_text=row["question_text"],
        documents=tuple(AuditedDocument(**d) for d in row["documents"]),
        backend=row["backend"],
        model=row["model"],
        prompt_hash=row["prompt_hash"],
        settings_hash=row["settings_hash"],
        support_scorer_version=row["support_scorer_version"],
        abstention_code=row["abstention_code"],
        affected_doc_ids=tuple(row["affected_doc_ids"]),
        counts=dict(row["counts"]),
    )
