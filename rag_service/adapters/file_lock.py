"""A per-data-directory writer lock, so ingestion and deletes from several processes never interleave."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from rag_service.domain.errors import IndexBusyError


@contextlib.contextmanager
def exclusive_writer(data_dir: Path) -> Iterator[None]:
    """Hold the writer lock of ``data_dir`` or fail at once with IndexBusyError."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".writer.lock", "w") as handle:
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
