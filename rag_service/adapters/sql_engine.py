"""What the SQL stores (feedback, API keys, audit trail) share: URL handling, the driver check and an engine
created with its tables on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError

from rag_service.domain.errors import ConfigurationError, RagError, StoreUnavailableError


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a database URL: ``postgresql://`` uses the psycopg (3) driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def require_driver(url: str, purpose: str = "database") -> None:
    """Fail fast when a PostgreSQL URL is configured but psycopg is not installed.

    Raises:
        ConfigurationError: The message names the database (``purpose``) and the extra to install.
    """
    if engine_url(url).startswith("postgresql+psycopg"):
        try:
            import psycopg  # noqa: F401 - only checks the driver is installed
        except ImportError as exc:
            raise ConfigurationError(
                f"a postgresql:// {purpose} needs psycopg: pip install 'rag-clinical-qa[postgres]'"
            ) from exc


def naive_utc(moment: datetime) -> datetime:
    """``moment`` in UTC without its zone: SQLite keeps none, so both databases store this one convention."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def failure_reason(exc: Exception) -> str:
    """What the operator must fix, for database failures with a plain cause; the error's type otherwise."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "disk is full" in text or "no space left" in text:
        return "the disk is full"
    if "disk i/o error" in text:
        return "disk I/O error: the disk may be full or failing"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only"
    if "unable to open database" in text or "permission denied" in text:
        return "the database file cannot be opened"
    return type(exc).__name__


def _wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class LazyEngine:
    """One pooled engine for a database URL, made (tables included) on first use and disposed on close."""

    def __init__(
        self,
        url: str,
        metadata: MetaData,
        purpose: str,
        *,
        unavailable: Callable[[str], RagError] = StoreUnavailableError,
        sqlite_wal: bool = False,
    ) -> None:
        self._url = url
        self._metadata = metadata
        self._purpose = purpose
        self._unavailable = unavailable
        self._sqlite_wal = sqlite_wal
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self) -> Engine:
        """The engine, created with the tables on first call.

        Raises:
            ConfigurationError: PostgreSQL without its driver installed.
            RagError: ``unavailable`` (StoreUnavailableError by default) when the database cannot be reached.
        """
        with self._lock:
            if self._engine is None:
                require_driver(self._url, self._purpose)
                url = make_url(engine_url(self._url))
                sqlite = url.get_backend_name() == "sqlite"
                try:
                    if sqlite and url.database not in (None, "", ":memory:"):
                        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
                    engine = create_engine(url, pool_pre_ping=True)
                    if sqlite and self._sqlite_wal:
                        event.listen(engine, "connect", _wal)
                    self._metadata.create_all(engine)
                except (SQLAlchemyError, OSError) as exc:
                    raise self._unavailable(
                        f"the {self._purpose} is not available: {failure_reason(exc)}"
                    ) from exc
                self._engine = engine
            return self._engine

    def close(self) -> None:
        """Dispose of the connection pool (a later ``get`` makes a new one)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
