"""Per-data-directory locks (``fcntl.flock``), held across processes.

* The **writer lock** (``.writer.lock``): ingestion, uploads, deletes and lexical rebuilds never interleave.
* The **serving lock** (``.serving.lock``): with embedded Chroma the vector store lives in the data directory
  and is cached in the memory of the process that opened it, so a second process writing to it (an ingest, or
  another ``rag-serve``) leaves the first one reading stale or missing vectors. ``rag-serve`` holds this lock
  for its lifetime, recording its pid and host, and every process that would write to the embedded store
  checks it first and refuses with a message naming the holder.

flock locks are released by the kernel when the holding process dies, so a ``kill -9`` leaves no stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rag_service.domain.errors import DataDirUnwritableError, IndexBusyError

SERVING_LOCK = ".serving.lock"


@contextlib.contextmanager
def _writable(data_dir: Path) -> Iterator[None]:
    """Turn an OS refusal to create or lock files in ``data_dir`` into one clear DataDirUnwritableError."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, BlockingIOError):
            raise
        reason = exc.strerror or type(exc).__name__
        raise DataDirUnwritableError(
            f"the data directory {data_dir} cannot be written ({reason}); make it writable, free disk space "
            "or point RAG_DATA_DIR elsewhere"
        ) from exc


class DataDirInUseError(IndexBusyError):
    """The embedded data directory is held by a serving process; the message says which and what to do."""

    code = "data_dir_in_use"


@contextlib.contextmanager
def exclusive_writer(data_dir: Path) -> Iterator[None]:
    """Hold the writer lock of ``data_dir`` or fail at once with IndexBusyError (DataDirUnwritableError when
    the directory cannot be written at all)."""
    with _writable(data_dir):
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(data_dir / ".writer.lock", "w")  # noqa: SIM115 - closed below
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusyError(
                f"another process is writing to {data_dir}; try again when it has finished"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def writer_is_busy(data_dir: Path) -> bool:
    """Whether some process holds the writer lock right now (an ingest or upload is running)."""
    try:
        with exclusive_writer(data_dir):
            return False
    except IndexBusyError:
        return True


def _holder(handle: IO[str]) -> tuple[str, str]:
    """(role, "role (pid N on host)") as recorded by the process holding the lock."""
    handle.seek(0)
    try:
        info = json.loads(handle.read() or "{}")
    except ValueError:
        info = {}
    role = str(info.get("role", "another process"))
    return role, f"{role} (pid {info.get('pid', '?')} on {info.get('host', '?')})"


def serving_holder(data_dir: Path) -> str | None:
    """Who holds the data-directory lock of ``data_dir`` (e.g. "rag-serve (pid 123 on host)"), or None."""
    path = data_dir / SERVING_LOCK
    if not path.is_file():
        return None
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(handle)[1]
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


class ServingLock:
    """Sole use of an embedded data directory, held from :meth:`acquire` until :meth:`release`.

    ``rag-serve`` holds it while it runs and ``rag-ingest`` while it writes, so neither can change the
    embedded Chroma store under the other. The holder's role, pid and host are written into the lock file for
    the refusal message.
    """

    def __init__(self, data_dir: Path, role: str) -> None:
        self._path = data_dir / SERVING_LOCK
        self._role = role
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise DataDirInUseError naming the process that holds it and what to do
        (DataDirUnwritableError when the directory cannot be written at all)."""
        with _writable(self._path.parent):
            self._path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self._path, "a+")  # noqa: SIM115 - held open until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            role, holder = _holder(handle)
            handle.close()
            raise DataDirInUseError(self._refusal(role, holder)) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"role": self._role, "pid": os.getpid(), "host": socket.gethostname()}))
        handle.flush()
        self._handle = handle

    def _refusal(self, role: str, holder: str) -> str:
        action = "serve" if self._role == "rag-serve" else "ingest or delete"
        if role == "rag-serve":
            advice = (
                "stop the service first, upload through POST /v1/documents instead, or use a Chroma server "
                "(RAG_STORE__HOST) that several processes can share"
            )
        else:
            advice = (
                "wait for it to finish, or use a Chroma server (RAG_STORE__HOST) several processes can share"
            )
        return (
            f"cannot {action}: {holder} is using this data directory with embedded Chroma, which one process "
            f"must own; {advice}"
        )

    def release(self) -> None:
        """Give the lock up (the kernel also does when the process ends)."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
