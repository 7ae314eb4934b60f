"""Files uploaded through ``POST /v1/documents``, ingested by the same pipeline as ``rag-ingest``.

Each upload is kept under ``RAG_DATA_DIR/uploads/<name>``: the catalog names a document's file by its path,
so the same name uploaded again with the same bytes is found unchanged, and ``rag-ingest --prune`` keeps
uploaded documents because their files still exist. A file that fails leaves the previous upload of the same
name (and its documents) as they were.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import IngestPipeline
from ingest.sources import SourceFile, unsupported_reason
from rag_service.bootstrap import Components
from rag_service.domain.uploads import IncomingFile, UploadResult, UploadStatus

log = logging.getLogger(__name__)
_CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_name(filename: str) -> str:
    """The file's own name (no folders), reduced to characters safe in a path and a document id."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    clean = _UNSAFE.sub("-", stem).strip("-._")[:150] or "upload"
    return f"{clean}.{suffix.lower()}" if suffix else clean


@dataclass(slots=True)
class _Saved:
    name: str
    path: Path
    backup: Path | None


class UploadIngester:
    """Saves uploads under the data directory and runs them through one ingest pipeline run."""

    def __init__(self, components: Components) -> None:
        self._c = components
        self._dir = Path(components.settings.data_dir) / "uploads"

    def ingest_uploads(self, files: Sequence[IncomingFile]) -> list[UploadResult]:
        """One result per file, in order. Takes the writer lock for the whole request (IndexBusyError)."""
        with self._c.writer_lock():
            return self._ingest(files)

    def _ingest(self, files: Sequence[IncomingFile]) -> list[UploadResult]:
        results: dict[int, UploadResult] = {}
        saved: dict[int, _Saved] = {}
        claimed: set[str] = set()
        for i, f in enumerate(files):
            name = safe_name(f.filename or "")
            reason = unsupported_reason(Path(name))
            if reason is None and name in claimed:
                reason = f"another file in this request is also named {name}"
            if reason is None:
                reason, kept = self._save(name, f)
                if kept is not None:
                    saved[i] = kept
            claimed.add(name)
            if reason is not None:
                results[i] = UploadResult(filename=f.filename, status="failed", error=reason)
        before = {i: self._snapshot(str(s.path.resolve())) for i, s in saved.items()}
        sources = [SourceFile(s.path, s.path) for s in saved.values()]
        report = IngestPipeline(self._c).run(sources) if sources else None
        problems: dict[str, list[str]] = {}
        for failure in report.failed if report else []:
            problems.setdefault(str(Path(failure.path).resolve()), []).append(failure.reason)
        for i, s in saved.items():
            key = str(s.path.resolve())
            results[i] = self._outcome(files[i].filename, key, before[i], problems.get(key), s)
        return [results[i] for i in range(len(files))]

    def _save(self, name: str, f: IncomingFile) -> tuple[str | None, _Saved | None]:
        """Write the upload to its place, keeping any earlier upload of the name until this one succeeds."""
        limit = self._c.settings.ingest.max_file_mb * 1024 * 1024
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self._dir / name
        partial = self._dir / f".{name}.part"
        size = 0
        with open(partial, "wb") as out:
            while chunk := f.content.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
        if size > limit:
            partial.unlink()
            return f"file is over the {limit / 1048576:.0f} MB limit", None
        if size == 0:
            partial.unlink()
            return "the file is empty", None
        backup = None
        if path.exists():
            backup = self._dir / f".{name}.previous"
            path.replace(backup)
        partial.replace(path)
        return None, _Saved(name, path, backup)

    def _snapshot(self, key: str) -> tuple[object, dict[str, str]]:
        """The file's catalog record and the content hash of each of its documents."""
        docs = {
            d: r.content_hash
            for d in self._c.catalog.documents_of_file(key)
            if (r := self._c.catalog.document(d)) is not None and r.status == "complete"
        }
        return self._c.catalog.file(key), docs

    def _outcome(
        self,
        filename: str,
        key: str,
        before: tuple[object, dict[str, str]],
        problems: list[str] | None,
        s: _Saved,
    ) -> UploadResult:
        after = self._snapshot(key)
        if problems and after[1] == before[1]:
            # Nothing of this upload was written: put the earlier upload of the name back (or remove it).
            if s.backup is not None:
                s.backup.replace(s.path)
            else:
                s.path.unlink(missing_ok=True)
            return UploadResult(filename=filename, status="failed", error="; ".join(problems)[:1000])
        if s.backup is not None:
            s.backup.unlink(missing_ok=True)
        doc_ids = tuple(sorted(after[1]))
        passages = sum(r.chunk_count for d in doc_ids if (r := self._c.catalog.document(d)) is not None)
        if problems:
            # Some records of the file were ingested, others were not: say which failed.
            error = "; ".join(problems)[:1000]
            return UploadResult(filename, "failed", doc_ids=doc_ids, passages=passages, error=error)
        status: UploadStatus = "unchanged" if after == before else "ingested"
        return UploadResult(filename, status, doc_ids=doc_ids, passages=passages)
