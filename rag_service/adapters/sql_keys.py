"""API keys in a SQL database through SQLAlchemy: a SQLite file by default, PostgreSQL by URL.

One row per key: its name (unique), role, the token's non-secret prefix, the token's SHA-256 and the times it
was created and revoked. Revoking keeps the row, so a name is never reused and listings show the history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from rag_service.adapters.sql_engine import LazyEngine, naive_utc
from rag_service.domain.auth import ApiKey, KeyExistsError, KeyNotFoundError, Role
from rag_service.domain.errors import StoreUnavailableError

_META = MetaData()
API_KEYS = Table(
    "api_keys",
    _META,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("prefix", String(16), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    # Naive UTC, as in the feedback table: SQLite keeps no zone.
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("revoked_at", DateTime(timezone=False)),
)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


class SqlKeyStore:
    """The ``api_keys`` table, created on first use; connections are pooled by the engine."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine = LazyEngine(url, _META, "key database")

    def _db(self) -> Engine:
        return self._engine.get()

    def add(self, key: ApiKey, key_hash: str) -> None:
        """Insert one key; a taken name raises KeyExistsError."""
        row = {
            "name": key.name,
            "role": key.role.label,
            "prefix": key.prefix,
            "key_hash": key_hash,
            "created_at": naive_utc(key.created_at),
            "revoked_at": None if key.revoked_at is None else naive_utc(key.revoked_at),
        }
        try:
            with self._db().begin() as conn:
                taken = conn.execute(select(API_KEYS.c.name).where(API_KEYS.c.name == key.name)).first()
                if taken is not None:
                    raise KeyExistsError(f"a key named {key.name!r} already exists (revoked names are kept)")
                conn.execute(insert(API_KEYS).values(**row))
        except IntegrityError as exc:
            # Another process added the same name between the check and the insert.
            raise KeyExistsError(f"a key named {key.name!r} already exists (revoked names are kept)") from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(f"the key could not be stored: {type(exc).__name__}") from exc

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        query = select(API_KEYS).order_by(API_KEYS.c.created_at, API_KEYS.c.name)
        return [_key(r) for r in self._rows(query)]

    def candidates(self, prefix: str) -> list[tuple[ApiKey, str]]:
        """Keys whose token has ``prefix``, with their stored hashes (the caller compares in constant time)."""
        query = select(API_KEYS).where(API_KEYS.c.prefix == prefix)
        return [(_key(r), str(r["key_hash"])) for r in self._rows(query)]

    def revoke(self, name: str, at: datetime) -> ApiKey:
        """Set ``revoked_at`` once; the row stays. An unknown name raises KeyNotFoundError."""
        try:
            with self._db().begin() as conn:
                conn.execute(
                    update(API_KEYS)
                    .where(API_KEYS.c.name == name, API_KEYS.c.revoked_at.is_(None))
                    .values(revoked_at=naive_utc(at))
                )
                row = conn.execute(select(API_KEYS).where(API_KEYS.c.name == name)).mappings().first()
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(f"the key could not be revoked: {type(exc).__name__}") from exc
        if row is None:
            raise KeyNotFoundError(f"no key named {name!r}")
        return _key(dict(row))

    def _rows(self, query: Any) -> list[dict[str, Any]]:
        try:
            with self._db().connect() as conn:
                return [dict(r) for r in conn.execute(query).mappings().all()]
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(f"the key database could not be read: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Dispose of the connection pool."""
        self._engine.close()


def _key(row: dict[str, Any]) -> ApiKey:
    created = _aware(row["created_at"])
    assert created is not None  # NOT NULL column
    return ApiKey(
        name=row["name"],
        role=Role.parse(row["role"]),
        prefix=row["prefix"],
        created_at=created,
        revoked_at=_aware(row["revoked_at"]),
    )
