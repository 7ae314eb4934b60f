"""Our own types for clinicians' feedback on answers: a rating, a wrong citation, an unsupported sentence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

FeedbackKind = Literal["answer", "citation", "sentence"]
Rating = Literal["helpful", "not_helpful"]


@dataclass(frozen=True, slots=True)
class CitedDocument:
    """One citation of the rated answer: its number and which edition of which document it quoted."""

    number: int
    doc_id: str
    chunk_id: str | None = None
    title: str | None = None
    version: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Feedback:
    """One piece of feedback with the answer it is about and that answer's provenance.

    ``kind`` says what is judged: the whole answer (``rating``), one citation (``citation``, its number,
    flagged as wrong) or one sentence (``sentence``, its 0-based index, flagged as unsupported).
    """

    id: str
    created_at: datetime
    kind: FeedbackKind
    question: str
    answer: str
    citations: tuple[CitedDocument, ...]
    provenance: dict[str, object]
    rating: Rating | None = None
    citation: int | None = None
    sentence: int | None = None
    comment: str | None = None

    @property
    def settings_hash(self) -> str | None:
        """The settings fingerprint the answer was produced with, from its provenance."""
        value = self.provenance.get("settings_hash")
        return value if isinstance(value, str) else None

    @property
    def prompt_hash(self) -> str | None:
        """The hash of the prompt files the answer was produced with, from its provenance."""
        value = self.provenance.get("prompt_hash")
        return value if isinstance(value, str) else None

    def cited(self, number: int) -> CitedDocument | None:
        """The citation with this number, if the answer had one."""
        return next((c for c in self.citations if c.number == number), None)
