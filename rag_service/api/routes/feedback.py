"""Feedback on answers from the people using them, stored with each answer's provenance."""

from __future__ import annotations

from fastapi import APIRouter

from rag_service.api.deps import FeedbackDep
from rag_service.api.feedback_schemas import FeedbackBody, FeedbackCreated
from rag_service.api.schemas import ErrorEnvelope

router = APIRouter(prefix="/v1", tags=["feedback"])
_ERRORS: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorEnvelope},
    422: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
}


@router.post("/feedback", status_code=201, response_model=FeedbackCreated, responses=_ERRORS)
def submit_feedback(body: FeedbackBody, feedback: FeedbackDep) -> FeedbackCreated:
    """Rate an answer, flag one citation as wrong or one sentence as unsupported, with an optional comment.

    Stored durably with the question, the answer, its citations and provenance (settings hash, prompt hash,
    cited document ids and versions); ``rag-feedback export`` turns it into evaluation items.
    """
    stored = feedback.submit(
        kind=body.kind,
        question=body.question,
        answer=body.answer,
        citations=body.cited_documents(),
        provenance=body.provenance,
        rating=body.rating,
        citation=body.citation,
        sentence=body.sentence,
        comment=body.comment,
    )
    return FeedbackCreated(id=stored.id, created_at=stored.created_at)
