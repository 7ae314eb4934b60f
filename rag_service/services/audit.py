"""Writing and reading the audit trail: one record per audited request or CLI run.

The question is kept as its SHA-256 (of the text as received, UTF-8), so an investigator holding a question can
find the records about it; its text is kept only when ``audit.store_question_text`` is on, and then after PHI
redaction whenever ``privacy.redaction`` is not ``off``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from rag_service.domain.audit import AuditDetails, AuditedDocument, AuditRecord
from rag_service.domain.protocols import AuditStore
from rag_service.services.phi import redact


def question_sha256(question: str) -> str:
    """The hex SHA-256 of a question's UTF-8 text, as recorded in the trail."""
    return hashlib.sha256(question.encode("utf-8", "surrogatepass")).hexdigest()


def documents_from(versions: object) -> tuple[AuditedDocument, ...]:
    """Audited documents from provenance's ``documents`` list (dicts with doc_id, version, content_hash)."""
    if not isinstance(versions, list | tuple):
        return ()
    out: list[AuditedDocument] = []
    for item in versions:
        if isinstance(item, dict) and isinstance(item.get("doc_id"), str):
            version, content_hash = item.get("version"), item.get("content_hash")
            out.append(
                AuditedDocument(
                    doc_id=item["doc_id"],
                    version=None if version is None else str(version),
                    content_hash=None if content_hash is None else str(content_hash),
                )
            )
    return tuple(out)


class AuditService:
    """Builds records from what a request or a run did and appends them to the store."""

    def __init__(
        self,
        store: AuditStore,
        *,
        enabled: bool,
        store_question_text: bool,
        redact_questions: bool,
        settings_hash: str,
    ) -> None:
        self._store = store
        self._enabled = enabled
        self._keep_text = store_question_text
        self._redact = redact_questions
        self._settings_hash = settings_hash

    @property
    def enabled(self) -> bool:
        """Whether records are written at all (``audit.enabled``)."""
        return self._enabled

    def record(
        self,
        *,
        key_name: str,
        endpoint: str,
        method: str,
        request_id: str,
        status: int,
        latency_ms: float,
        details: AuditDetails | None = None,
        error_code: str | None = None,
        at: datetime | None = None,
    ) -> AuditRecord | None:
        """Append one record and return it (None when the trail is switched off).

        Raises:
            AuditUnavailableError: The store could not take the record.
        """
        if not self._enabled:
            return None
        d = details or AuditDetails()
        question = d.question
        text = None
        if question is not None and self._keep_text:
            text = redact(question) if self._redact else question
            # A lone surrogate (valid JSON, not valid UTF-8) must not make the record unwritable.
            text = text.encode("utf-8", "replace").decode("utf-8")
        record = AuditRecord(
            id=uuid.uuid4().hex,
            time=at or datetime.now(UTC),
            key_name=key_name,
            endpoint=endpoint,
            method=method,
            request_id=request_id,
            status=status,
            latency_ms=round(latency_ms, 3),
            error_code=error_code,
            question_sha256=None if question is None else question_sha256(question),
            question_text=text,
            documents=d.documents,
            backend=d.backend,
            model=d.model,
            prompt_hash=d.prompt_hash,
            settings_hash=d.settings_hash or self._settings_hash,
            support_scorer_version=d.support_scorer_version,
            abstention_code=d.abstention_code,
            affected_doc_ids=d.affected_doc_ids,
            counts=dict(d.counts),
        )
        self._store.append(record)
        return record

    def export(self, since: datetime, until: datetime | None = None) -> Iterator[AuditRecord]:
        """Records with ``since <= time < until``, oldest first, streamed from the store."""
        return self._store.export(since, until)

    def close(self) -> None:
        """Release the store's connections."""
        self._store.close()
