"""Recording clinicians' feedback on answers, checked against the answer it is about."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from rag_service.domain.errors import InvalidRequestError
from rag_service.domain.feedback import CitedDocument, Feedback, FeedbackKind, Rating
from rag_service.domain.protocols import FeedbackStore


class FeedbackService:
    """Validates feedback and stores it with the answer's provenance."""

    def __init__(self, store: FeedbackStore) -> None:
        self._store = store

    def submit(
        self,
        *,
        kind: FeedbackKind,
        question: str,
        answer: str,
        citations: Sequence[CitedDocument],
        provenance: dict[str, object],
        rating: Rating | None = None,
        citation: int | None = None,
        sentence: int | None = None,
        comment: str | None = None,
    ) -> Feedback:
        """Store one piece of feedback and return it with its id and time.

        Raises:
            InvalidRequestError: The fields do not fit the kind (a rating for ``answer``, a citation number
                the answer has for ``citation``, a sentence index for ``sentence``).
        """
        numbers = [c.number for c in citations]
        if len(set(numbers)) != len(numbers):
            raise InvalidRequestError("citation numbers must be unique")
        if kind == "answer" and rating is None:
            raise InvalidRequestError("feedback on an answer needs a rating: 'helpful' or 'not_helpful'")
        if kind == "citation":
            if citation is None:
                raise InvalidRequestError("feedback on a citation needs the citation's number")
            if citation not in numbers:
                raise InvalidRequestError(f"the answer has no citation [{citation}]")
        if kind == "sentence" and sentence is None:
            raise InvalidRequestError("feedback on a sentence needs the sentence's 0-based index")
        feedback = Feedback(
            id=uuid.uuid4().hex,
            created_at=datetime.now(UTC),
            kind=kind,
            question=question,
            answer=answer,
            citations=tuple(citations),
            provenance=provenance,
            rating=rating if kind == "answer" else None,
            citation=citation if kind == "citation" else None,
            sentence=sentence if kind == "sentence" else None,
            comment=comment or None,
        )
        self._store.add(feedback)
        return feedback

    def since(self, start: datetime) -> list[Feedback]:
        """Feedback created at or after ``start``, oldest first."""
        return self._store.since(start)
