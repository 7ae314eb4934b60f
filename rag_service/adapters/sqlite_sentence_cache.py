"""Evidence-text vectors in a SQLite file beside the catalog, keyed by a hash of the text.

Vectors are stored as float32 bytes, exactly as the encoder returned them, so an answer computed from cached
vectors is the answer computed from fresh ones. The file is a cache: deleting it loses nothing but time
(``rag-ingest --upgrade`` or the next answers fill it again).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS refs (doc_id TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (doc_id, key));
CREATE INDEX IF NOT EXISTS refs_key ON refs(key);
"""
# SQLite's limit on bound parameters is 32,766 in current builds; stay well under it.
_CHUNK = 500


class SqliteSentenceCache:
    """A :class:`~rag_service.domain.protocols.SentenceVectorCache` in one SQLite file, opened on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def get_many(self, keys: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        out: dict[str, npt.NDArray[np.float32]] = {}
        distinct = list(dict.fromkeys(keys))
        try:
            self._select(distinct, out)
        except sqlite3.Error as exc:  # a cache: answer from the encoder instead
            log.warning("sentence vector cache unreadable (%s); encoding instead", type(exc).__name__)
        return out

    def _select(self, distinct: list[str], out: dict[str, npt.NDArray[np.float32]]) -> None:
        with self._lock:
            db = self._db()
            for start in range(0, len(distinct), _CHUNK):
                part = distinct[start : start + _CHUNK]
                marks = ",".join("?" * len(part))
                for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part):  # noqa: S608 - placeholders only
                    out[str(key)] = np.frombuffer(blob, dtype=np.float32)

    def put_many(
        self, items: Sequence[tuple[str, npt.NDArray[np.float32]]], doc_id: str | None = None
    ) -> None:
        if not items:
            return
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        try:
            self._insert(rows, doc_id)
        except sqlite3.Error as exc:  # e.g. a full disk: answers still work, only slower
            log.warning("sentence vector cache not written (%s)", type(exc).__name__)

    def _insert(self, rows: list[tuple[str, bytes]], doc_id: str | None) -> None:
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR IGNORE INTO vectors(key, vector) VALUES (?, ?)", rows)
                if doc_id is not None:
                    db.executemany(
                        "INSERT OR IGNORE INTO refs(doc_id, key) VALUES (?, ?)",
                        [(doc_id, k) for k, _ in rows],
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def forget(self, doc_ids: Sequence[str]) -> int:
        if not doc_ids:
            return 0
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(doc_ids), _CHUNK):
                    part = list(doc_ids[start : start + _CHUNK])
                    marks = ",".join("?" * len(part))
                    db.execute(f"DELETE FROM refs WHERE doc_id IN ({marks})", part)  # noqa: S608 - placeholders only
                # Vectors no document uses any more, including those filled in while answering.
                dropped = db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM refs)").rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return int(dropped)

    def count(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
