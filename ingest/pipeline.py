"""The ingest run: find files, skip unchanged ones, parse, chunk, embed and write in batches.

Embedding runs on the calling thread while a single writer thread commits the previous batch to the catalog
and the vector store, so storage costs little beyond the encoder itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.chunking import Chunker, embedding_text
from ingest.loaders import loader_for
from ingest.loaders.base import LoadContext
from ingest.report import IngestReport
from ingest.sources import SourceFile, apply_overrides, read_sidecar, unsupported_reason
from rag_service.bootstrap import Components
from rag_service.domain.documents import ChunkedDocument, SourceDocument
from rag_service.domain.errors import IngestError, RagError
from rag_service.domain.protocols import FileRecord
from rag_service.services.indexing import PreparedBatch
from rag_service.services.injection import instruction_like

log = logging.getLogger(__name__)

OverridesFor = Callable[[Path], Mapping[str, Any]]
ProgressFn = Callable[[str], None]


@dataclass(slots=True)
class _FilePlan:
    """What one changed file contributes to the run."""

    source: SourceFile
    record: FileRecord
    docs: list[ChunkedDocument]
    removed: list[str]
    record_errors: list[str]


@dataclass(slots=True)
class _Batch:
    docs: list[ChunkedDocument] = field(default_factory=list)
    paths: list[str | None] = field(default_factory=list)
    files: list[_FilePlan] = field(default_factory=list)
    chunk_count: int = 0
    new_vectors: int = 0


class IngestPipeline:
    """Ingests files into the index described by one set of components."""

    def __init__(
        self,
        components: Components,
        *,
        overrides: Mapping[str, Any] | None = None,
        overrides_for: OverridesFor | None = None,
        on_file_done: ProgressFn | None = None,
    ) -> None:
        self._c = components
        self._overrides = dict(overrides or {})
        self._overrides_for = overrides_for
        self._on_file_done = on_file_done
        self._chunker = Chunker(components.settings.chunking, components.tokens)
        self._claimed: dict[str, str] = {}

    # --- public -----------------------------------------------------------------------------------------

    def run(
        self, files: Sequence[SourceFile], *, missing: Sequence[tuple[str, str]] = (), prune: bool = False
    ) -> IngestReport:
        """Ingest ``files``; a failing file is reported and the rest go on. Ctrl-C stops cleanly."""
        started = time.perf_counter()
        report = IngestReport(files_seen=len(files) + len(missing))
        for path, reason in missing:
            report.fail(path, reason)
        self._finish_interrupted_deletes()
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        pending: tuple[Future[None], _Batch] | None = None
        batch = _Batch()
        try:
            for source in files:
                plan = self._plan_file(source, report)
                if plan is not None:
                    self._add(batch, plan)
                self._file_done(source)
                if batch.chunk_count >= self._c.settings.ingest.batch_chunks:
                    pending = self._flush(batch, writer, pending, report)
                    batch = _Batch()
            pending = self._flush(batch, writer, pending, report)
            self._wait(pending, report)
            pending = None
            if prune:
                report.documents_deleted += self._prune(report)
        except KeyboardInterrupt:
            report.interrupted = True
            log.warning("interrupted: finishing the batch being written; re-run to complete the rest")
        finally:
            if pending is not None:
                self._wait(pending, report)
            writer.shutdown(wait=True)
            if not report.interrupted:
                self._c.index.refresh_lexical()
            report.seconds = round(time.perf_counter() - started, 3)
        return report

    # --- planning ---------------------------------------------------------------------------------------

    def _file_done(self, source: SourceFile) -> None:
        if self._on_file_done is not None:
            self._on_file_done(str(source.path))

    def _plan_file(self, source: SourceFile, report: IngestReport) -> _FilePlan | None:
        try:
            return self._plan(source, report)
        except IngestError as exc:
            report.fail(str(source.path), str(exc))
        except RagError:
            raise
        except (OSError, ValueError, RuntimeError, KeyError, TypeError, IndexError, AttributeError) as exc:
            # A loader tripping over a malformed file must not stop the batch; the type names the cause.
            log.debug("unexpected loader error", exc_info=True)
            report.fail(str(source.path), f"could not parse: {type(exc).__name__}: {str(exc)[:200]}")
        return None

    def _plan(self, source: SourceFile, report: IngestReport) -> _FilePlan | None:
        reason = unsupported_reason(source.path)
        if reason:
            raise IngestError(reason)
        size = source.path.stat().st_size
        limit = self._c.settings.ingest.max_file_mb * 1024 * 1024
        if size > limit:
            raise IngestError(f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:.0f} MB limit")
        data = source.path.read_bytes()
        sidecar, sidecar_raw = read_sidecar(source.path)
        extra = dict(self._overrides_for(source.path)) if self._overrides_for else {}
        overrides = {**extra, **sidecar, **self._overrides}
        fingerprint = _fingerprint(data, sidecar_raw, overrides)
        known = self._c.catalog.file(source.key)
        if known is not None and known.sha256 == fingerprint and self._all_complete(known.doc_ids):
            report.unchanged += 1
            return None

        loader = loader_for(source.path)
        assert loader is not None  # unsupported_reason() returned None
        limits = self._c.settings.ingest
        ctx = LoadContext(source.path, source.default_doc_id(), limits.max_xml_depth, limits.max_pdf_pages)
        result = loader(data, ctx)
        multi = len(result.documents) > 1
        docs: list[ChunkedDocument] = []
        errors = list(result.record_errors)
        for doc in result.documents:
            doc.meta = apply_overrides(doc.meta, overrides, multi=multi)
            owner = self._owner_elsewhere(doc.meta.doc_id, source.key)
            if owner:
                errors.append(
                    f"document id {doc.meta.doc_id} already belongs to {owner}; give this one its own id"
                )
                continue
            self._claimed[doc.meta.doc_id] = source.key
            chunked = self._flag_instructions(self._chunker.chunk(doc), doc, source, report)
            if not chunked.chunks:
                errors.append(f"document {doc.meta.doc_id}: no extractable text")
                continue
            docs.append(chunked)
        if not docs:
            raise IngestError("; ".join(errors[:3]) or "no extractable text")
        for err in errors:
            report.fail(str(source.path), err)
        current = {d.meta.doc_id for d in docs}
        previous = set(known.doc_ids) if known else set(self._c.catalog.documents_of_file(source.key))
        changed = [d for d in docs if not self._unchanged(d)]
        report.documents_unchanged += len(docs) - len(changed)
        record = FileRecord(source.key, fingerprint, size, tuple(sorted(current)))
        return _FilePlan(source, record, changed, sorted(previous - current), errors)

    def _flag_instructions(
        self, chunked: ChunkedDocument, doc: SourceDocument, source: SourceFile, report: IngestReport
    ) -> ChunkedDocument:
        """Mark a document whose passages hold instruction-like text, and warn; it is still ingested.

        The mark is document metadata (``instruction_like`` and ``instruction_like_passages``, stored with
        every passage as ``x_instruction_like``), so the document can be found and reviewed; answers never
        quote such a passage whatever the mark says (the check is repeated on the text at answer time).
        """
        flagged = sum(1 for chunk in chunked.chunks if instruction_like(chunk.text))
        if not flagged:
            return chunked
        doc.meta = doc.meta.model_copy(
            update={
                "extra": {**doc.meta.extra, "instruction_like": True, "instruction_like_passages": flagged}
            }
        )
        message = (
            f"document {doc.meta.doc_id}: {flagged} passage(s) hold instruction-like text "
            "(e.g. 'ignore previous instructions'); ingested, flagged, and never quoted in answers"
        )
        log.warning("%s (%s)", message, source.path.name)
        report.warn(str(source.path), message)
        return self._chunker.chunk(doc)

    def _all_complete(self, doc_ids: Sequence[str]) -> bool:
        for doc_id in doc_ids:
            rec = self._c.catalog.document(doc_id)
            if rec is None or rec.status != "complete":
                return False
        return True

    def _unchanged(self, doc: ChunkedDocument) -> bool:
        rec = self._c.catalog.document(doc.meta.doc_id)
        return rec is not None and rec.status == "complete" and rec.content_hash == doc.content_hash

    def _owner_elsewhere(self, doc_id: str, file_key: str) -> str | None:
        """Another existing file that already supplies this document id, if any."""
        claimed = self._claimed.get(doc_id)
        if claimed is not None and claimed != file_key:
            return claimed
        rec = self._c.catalog.document(doc_id)
        if rec is None or rec.file_path in (None, file_key):
            return None
        # A file that moved or vanished gives its ids up; one that still exists keeps them.
        return rec.file_path if Path(rec.file_path).exists() else None

    # --- batching and writing ---------------------------------------------------------------------------

    def _add(self, batch: _Batch, plan: _FilePlan) -> None:
        batch.files.append(plan)
        for doc in plan.docs:
            batch.docs.append(doc)
            batch.paths.append(plan.record.path)
            batch.chunk_count += len(doc.chunks)

    def _flush(
        self,
        batch: _Batch,
        writer: ThreadPoolExecutor,
        pending: tuple[Future[None], _Batch] | None,
        report: IngestReport,
    ) -> tuple[Future[None], _Batch] | None:
        if not batch.files:
            return pending
        prepared = self._c.index.prepare(batch.docs, batch.paths, self._c.embedder.embed_documents, _text_of)
        batch.new_vectors = prepared.new_chunk_count
        if self._c.settings.ingest.sentence_vectors and prepared.new_chunk_count:
            # Answers read these instead of encoding evidence per request; a cache, so written ahead.
            self._c.sentence_vectors().precompute(
                (d.meta.doc_id, d.meta.source, c.text)
                for d, chunks in zip(prepared.docs, prepared.new_chunks, strict=True)
                for c in chunks
            )
        # One batch in flight at most: bounded memory, and writes land in file order.
        self._wait(pending, report)
        return writer.submit(self._commit, batch, prepared), batch

    def _commit(self, batch: _Batch, prepared: PreparedBatch) -> None:
        self._c.index.commit(prepared)
        removed = [doc_id for plan in batch.files for doc_id in plan.removed]
        if removed:
            self._c.index.delete(removed)
        # A file with bad records is not remembered, so the next run reports them again.
        self._c.catalog.record_files([p.record for p in batch.files if not p.record_errors])

    def _wait(self, pending: tuple[Future[None], _Batch] | None, report: IngestReport) -> None:
        if pending is None:
            return
        future, batch = pending
        try:
            future.result()
        except Exception as exc:
            # The batch's documents stay pending in the catalog and their files unrecorded: the next run redoes them.
            reason = str(exc) if isinstance(exc, RagError) else f"{type(exc).__name__}: {exc}"
            log.warning("batch write failed: %s", reason[:300])
            for plan in batch.files:
                report.fail(str(plan.source.path), f"write failed: {reason[:300]}")
            return
        report.chunks_written += batch.new_vectors
        for plan in batch.files:
            report.ingested += 1
            report.documents_written += len(plan.docs)
            report.documents_deleted += len(plan.removed)

    # --- housekeeping -----------------------------------------------------------------------------------

    def _finish_interrupted_deletes(self) -> None:
        deleting = [
            d
            for d in self._c.catalog.unfinished()
            if (rec := self._c.catalog.document(d)) and rec.status == "deleting"
        ]
        if deleting:
            self._c.index.delete(deleting)

    def _prune(self, report: IngestReport) -> int:
        gone = [f for f in self._c.catalog.files() if not Path(f.path).exists()]
        doc_ids = [d for f in gone for d in f.doc_ids]
        self._c.index.delete(doc_ids)
        self._c.catalog.forget_files([f.path for f in gone])
        report.files_pruned = len(gone)
        return len(doc_ids)


def _text_of(doc: ChunkedDocument, chunk: Any) -> str:
    return embedding_text(doc.meta.title, chunk)


def _fingerprint(data: bytes, sidecar: bytes, overrides: Mapping[str, Any]) -> str:
    """Hash of everything that shapes a file's documents: content, sidecar and metadata overrides."""
    h = hashlib.sha256(data)
    h.update(b"\x00sidecar\x00" + sidecar)
    h.update(b"\x00overrides\x00" + json.dumps(overrides, sort_keys=True, default=str).encode())
    return h.hexdigest()
