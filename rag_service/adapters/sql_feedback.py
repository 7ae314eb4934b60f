"""Feedback on answers in a SQL database through SQLAlchemy: a SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from rag_service.adapters.sql_engine import LazyEngine, naive_utc
from rag_service.domain.errors import StoreUnavailableError
from rag_service.domain.feedback import CitedDocument, Feedback

_META = MetaData()
FEEDBACK = Table(
    "feedback",
    _META,
    Column("id", String(64), primary_key=True),
    # Naive UTC: SQLite keeps no zone, and one convention for both databases keeps `since` comparable.
    Column("created_at", DateTime(timezone=False), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("rating", String(16)),
    Column("citation", Integer),
    Column("sentence", Integer),
    Column("comment", Text),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", JSON, nullable=False),
    Column("provenance", JSON, nullable=False),
    Column("settings_hash", String(64)),
    Column("prompt_hash", String(128)),
    Column("doc_ids", JSON, nullable=False),
)


class SqlFeedbackStore:
    """The ``feedback`` table, created on first use; connections are pooled by the engine."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine = LazyEngine(url, _META, "feedback database")

    def _db(self) -> Engine:
        return self._engine.get()

    def add(self, feedback: Feedback) -> None:
        """Insert one row."""
        row = {
            "id": feedback.id,
            "created_at": naive_utc(feedback.created_at),
            "kind": feedback.kind,
            "rating": feedback.rating,
            "citation": feedback.citation,
            "sentence": feedback.sentence,
            "comment": feedback.comment,
            "question": feedback.question,
            "answer": feedback.answer,
            "citations": [asdict(c) for c in feedback.citations],
            "provenance": feedback.provenance,
            "settings_hash": feedback.settings_hash,
            "prompt_hash": feedback.prompt_hash,
            "doc_ids": list(dict.fromkeys(c.doc_id for c in feedback.citations)),
        }
        try:
            with self._db().begin() as conn:
                conn.execute(insert(FEEDBACK).values(**row))
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(f"feedback could not be stored: {type(exc).__name__}") from exc

    def since(self, start: datetime) -> list[Feedback]:
        """Rows created at or after ``start``, oldest first."""
        query = (
            select(FEEDBACK)
            .where(FEEDBACK.c.created_at >= naive_utc(start))
            .order_by(FEEDBACK.c.created_at, FEEDBACK.c.id)
        )
        try:
            with self._db().connect() as conn:
                rows = conn.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(f"feedback could not be read: {type(exc).__name__}") from exc
        return [_feedback(dict(r)) for r in rows]

    def close(self) -> None:
        """Dispose of the connection pool."""
        self._engine.close()


def _feedback(row: dict[str, Any]) -> Feedback:
    return Feedback(
        id=row["id"],
        created_at=row["created_at"].replace(tzinfo=UTC),
        kind=row["kind"],
        question=row["question"],
        answer=row["answer"],
        citations=tuple(CitedDocument(**c) for c in row["citations"]),
        provenance=dict(row["provenance"]),
        rating=row["rating"],
        citation=row["citation"],
        sentence=row["sentence"],
        comment=row["comment"],
    )
