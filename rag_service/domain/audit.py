"""Our own types for the audit trail: one append-only record per audited request or CLI run.

A record says who did what, when, and with which result: never the question itself unless the operator opts in
(and then only after PHI redaction), always its SHA-256, so a known question can be found again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rag_service.domain.errors import StoreUnavailableError


class AuditUnavailableError(StoreUnavailableError):
    """The audit trail cannot be written (or read): the audited request is refused rather than left unrecorded."""

    code = "audit_unavailable"


@dataclass(frozen=True, slots=True)
class AuditedDocument:
    """A document a result came from, pinned to the edition that was used."""

    doc_id: str
    version: str | None = None
    content_hash: str | None = None


@dataclass(slots=True)
class AuditDetails:
    """What a route knows about its request, left for the audit record (all optional).

    The route fills it in as it goes: the question before calling a service (so a refused question is still
    recorded by its hash), the result's provenance after.
    """

    question: str | None = None
    documents: tuple[AuditedDocument, ...] = ()
    backend: str | None = None
    model: str | None = None
    prompt_hash: str | None = None
    settings_hash: str | None = None
    support_scorer_version: str | None = None
    abstention_code: str | None = None
    affected_doc_ids: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audited action.

    ``endpoint`` is the route template (``/v1/documents/{doc_id}``) or the CLI's name (``rag-ingest``);
    ``status`` the HTTP status, or the exit status of a CLI run; ``error_code`` the envelope's code of a
    refused or failed request. ``time`` is timezone-aware UTC.
    """

    id: str
    time: datetime
    key_name: str
    endpoint: str
    method: str
    request_id: str
    status: int
    latency_ms: float
    error_code: str | None = None
    question_sha256: str | None = None
    question_text: str | None = None
    documents: tuple[AuditedDocument, ...] = ()
    backend: str | None = None
    model: str | None = None
    prompt_hash: str | None = None
    settings_hash: str | None = None
    support_scorer_version: str | None = None
    abstention_code: str | None = None
    affected_doc_ids: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the time in ISO 8601 with its UTC offset, documents as objects."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "key_name": self.key_name,
            "endpoint": self.endpoint,
            "method": self.method,
            "request_id": self.request_id,
            "status": self.status,
            "error_code": self.error_code,
            "latency_ms": self.latency_ms,
            "question_sha256": self.question_sha256,
            "question_text": self.question_text,
            "documents": [
                {"doc_id": d.doc_id, "version": d.version, "content_hash": d.content_hash}
                for d in self.documents
            ],
            "backend": self.backend,
            "model": self.model,
            "prompt_hash": self.prompt_hash,
            "settings_hash": self.settings_hash,
            "support_scorer_version": self.support_scorer_version,
            "abstention_code": self.abstention_code,
            "affected_doc_ids": list(self.affected_doc_ids),
            "counts": dict(self.counts),
        }
