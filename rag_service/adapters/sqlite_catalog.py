"""SQLite document catalog: the transactional record of documents, passages and files."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag_service.domain.documents import HEADING_SEPARATOR, ChunkedDocument, DocumentMeta
from rag_service.domain.errors import IndexMismatchError
from rag_service.domain.protocols import DocumentRecord, FileRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, doc_ids TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, file_path TEXT, content_hash TEXT NOT NULL, status TEXT NOT NULL,
    meta TEXT NOT NULL, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file_path);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, text TEXT NOT NULL,
    heading TEXT NOT NULL, page INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""

PENDING = "pending"
DELETING = "deleting"
COMPLETE = "complete"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqliteCatalog:
    """Documents, passages and files in one SQLite file, with a version counter for the lexical index.

    One connection guarded by a lock: ingestion writes from a background thread while planning reads.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def open(self, identity: Mapping[str, str]) -> None:
        """Open or create the catalog, refusing one built for another collection, model or chunking."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        self._conn = conn
        stored = dict(conn.execute("SELECT key, value FROM meta WHERE key LIKE 'identity.%'").fetchall())
        if stored:
            wanted = {f"identity.{k}": v for k, v in identity.items()}
            diff = {k: (stored.get(k), v) for k, v in wanted.items() if stored.get(k) != v}
            if diff:
                details = ", ".join(
                    f"{k[9:]}: index has {a!r}, settings ask for {b!r}" for k, (a, b) in diff.items()
                )
                raise IndexMismatchError(f"the catalog at {self._path} was built differently ({details})")
        else:
            with self._tx() as cur:
                cur.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [(f"identity.{k}", v) for k, v in identity.items()] + [("lexical_version", "0")],
                )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("catalog is not open")
        return self._conn

    def _tx(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # --- files -------------------------------------------------------------------------------------------

    def file(self, path: str) -> FileRecord | None:
        rows = self._read("SELECT path, sha256, size, doc_ids FROM files WHERE path = ?", (path,))
        return _file_record(rows[0]) if rows else None

    def files(self) -> list[FileRecord]:
        return [
            _file_record(r) for r in self._read("SELECT path, sha256, size, doc_ids FROM files ORDER BY path")
        ]

    def record_files(self, files: Sequence[FileRecord]) -> None:
        with self._tx() as cur:
            cur.executemany(
                "INSERT OR REPLACE INTO files(path, sha256, size, doc_ids, ingested_at) VALUES (?, ?, ?, ?, ?)",
                [(f.path, f.sha256, f.size, json.dumps(list(f.doc_ids)), _now()) for f in files],
            )

    def forget_files(self, paths: Iterable[str]) -> None:
        with self._tx() as cur:
            cur.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    # --- documents ---------------------------------------------------------------------------------------

    def document(self, doc_id: str) -> DocumentRecord | None:
        rows = self._read(f"{_DOC_SELECT} WHERE doc_id = ?", (doc_id,))
        return _doc_record(rows[0]) if rows else None

    def documents(self, *, offset: int = 0, limit: int | None = None) -> list[DocumentRecord]:
        rows = self._read(
            f"{_DOC_SELECT} ORDER BY doc_id LIMIT ? OFFSET ?", (-1 if limit is None else limit, offset)
        )
        return [_doc_record(r) for r in rows]

    def document_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM documents")[0][0])

    def documents_of_file(self, path: str) -> list[str]:
        """Ids of the documents that came from one file."""
        return [str(r[0]) for r in self._read("SELECT doc_id FROM documents WHERE file_path = ?", (path,))]

    def unfinished(self) -> list[str]:
        """Ids of documents whose last write or delete did not finish."""
        return [str(r[0]) for r in self._read("SELECT doc_id FROM documents WHERE status != ?", (COMPLETE,))]

    def chunk_ids(self, doc_id: str) -> set[str]:
        return {str(r[0]) for r in self._read("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))}

    def chunk_rows(self, doc_id: str) -> list[tuple[str, int, str, str, int | None]]:
        """(chunk id, ordinal, text, heading, page) of a document's passages, in reading order."""
        rows = self._read(
            "SELECT chunk_id, ordinal, text, heading, page FROM chunks WHERE doc_id = ? ORDER BY ordinal",
            (doc_id,),
        )
        return [(str(c), int(o), str(t), str(h), None if p is None else int(p)) for c, o, t, h, p in rows]

    def chunk_count(self) -> int:
        """Passages of complete documents."""
        sql = "SELECT COUNT(*) FROM chunks c JOIN documents d USING(doc_id) WHERE d.status = ?"
        return int(self._read(sql, (COMPLETE,))[0][0])

    def begin_documents(self, docs: Sequence[ChunkedDocument], file_paths: Sequence[str | None]) -> None:
        now = _now()
        with self._tx() as cur:
            for doc, path in zip(docs, file_paths, strict=True):
                cur.execute(
                    "INSERT INTO documents(doc_id, file_path, content_hash, status, meta, chunk_count, ingested_at)"
                    " VALUES (?, ?, '', ?, ?, 0, ?) ON CONFLICT(doc_id) DO UPDATE SET status = excluded.status",
                    (doc.meta.doc_id, path, PENDING, doc.meta.model_dump_json(), now),
                )
                cur.executemany(
                    "INSERT OR IGNORE INTO chunks(chunk_id, doc_id, ordinal, text, heading, page)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [(c.chunk_id, c.doc_id, c.ordinal, c.text, c.heading, c.page) for c in doc.chunks],
                )

    def complete_documents(self, docs: Sequence[ChunkedDocument], file_paths: Sequence[str | None]) -> None:
        now = _now()
        with self._tx() as cur:
            for doc, path in zip(docs, file_paths, strict=True):
                keep = {c.chunk_id: c.ordinal for c in doc.chunks}
                stale = [
                    (cid,)
                    for (cid,) in cur.execute(
                        "SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc.meta.doc_id,)
                    )
                    if cid not in keep
                ]
                cur.executemany("DELETE FROM chunks WHERE chunk_id = ?", stale)
                cur.executemany(
                    "UPDATE chunks SET ordinal = ? WHERE chunk_id = ?", [(o, c) for c, o in keep.items()]
                )
                cur.execute(
                    "UPDATE documents SET file_path = ?, content_hash = ?, status = ?, meta = ?, chunk_count = ?,"
                    " ingested_at = ? WHERE doc_id = ?",
                    (
                        path,
                        doc.content_hash,
                        COMPLETE,
                        doc.meta.model_dump_json(),
                        len(doc.chunks),
                        now,
                        doc.meta.doc_id,
                    ),
                )
            _bump(cur)

    def begin_delete(self, doc_ids: Iterable[str]) -> None:
        with self._tx() as cur:
            cur.executemany(
                "UPDATE documents SET status = ? WHERE doc_id = ?", [(DELETING, d) for d in doc_ids]
            )

    def finish_delete(self, doc_ids: Iterable[str]) -> None:
        ids = [(d,) for d in doc_ids]
        with self._tx() as cur:
            cur.executemany("DELETE FROM chunks WHERE doc_id = ?", ids)
            cur.executemany("DELETE FROM documents WHERE doc_id = ?", ids)
            _bump(cur)

    # --- lexical -----------------------------------------------------------------------------------------

    def lexical_version(self) -> int:
        return int(self._read("SELECT value FROM meta WHERE key = 'lexical_version'")[0][0])

    def iter_passages(self) -> Iterator[tuple[str, str, str]]:
        rows = self._read(
            "SELECT c.doc_id, json_extract(d.meta, '$.source'), c.text"
            " FROM chunks c JOIN documents d USING(doc_id) WHERE d.status = ? ORDER BY c.doc_id, c.ordinal",
            (COMPLETE,),
        )
        for doc_id, source, text in rows:
            yield str(doc_id), str(source or ""), str(text)

    def iter_complete_chunks(self) -> Iterator[tuple[str, str, str]]:
        rows = self._read(
            "SELECT c.chunk_id, c.doc_id, json_extract(d.meta, '$.title'), c.heading, c.text"
            " FROM chunks c JOIN documents d USING(doc_id) WHERE d.status = ? ORDER BY c.doc_id, c.ordinal",
            (COMPLETE,),
        )
        for cid, doc_id, title, heading, text in rows:
            path = [h for h in str(heading).split(HEADING_SEPARATOR) if h and h != title]
            yield str(cid), str(doc_id), "\n".join([str(title), *path, str(text)])


_DOC_SELECT = "SELECT meta, content_hash, status, chunk_count, file_path, ingested_at FROM documents"


def _bump(cur: sqlite3.Cursor) -> None:
    cur.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'lexical_version'")


def _file_record(row: tuple[Any, ...]) -> FileRecord:
    path, sha, size, doc_ids = row
    return FileRecord(
        path=str(path), sha256=str(sha), size=int(size), doc_ids=tuple(json.loads(str(doc_ids)))
    )


def _doc_record(row: tuple[Any, ...]) -> DocumentRecord:
    meta, content_hash, status, chunk_count, file_path, ingested_at = row
    return DocumentRecord(
        meta=DocumentMeta.model_validate_json(str(meta)),
        content_hash=str(content_hash),
        status=str(status),
        chunk_count=int(chunk_count),
        file_path=None if file_path is None else str(file_path),
        ingested_at=str(ingested_at),
    )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the catalog lock; rolls back on any exception."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self._conn = conn
        self._lock = lock

    def __enter__(self) -> sqlite3.Cursor:
        self._lock.acquire()
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn.cursor()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._lock.release()


__all__ = ["COMPLETE", "DELETING", "HEADING_SEPARATOR", "PENDING", "SqliteCatalog"]
