"""Cited, verified answers, as JSON or as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from rag_service.api.answer_guard import CancelledDep
from rag_service.api.answer_schemas import AskBody, AskResponse
from rag_service.api.audit import audit_details, note_answer
from rag_service.api.deps import AnswersDep
from rag_service.api.metrics import MetricsDep
from rag_service.api.schemas import ErrorEnvelope
from rag_service.domain.text import with_markers

router = APIRouter(prefix="/v1", tags=["answers"])
_ERRORS: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorEnvelope},
    422: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
}


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_events(res: AskResponse) -> Iterator[str]:
    """The answer as events: meta, one delta per sentence, citations, sentences, then done with everything.

    The final ``done`` event repeats the complete response, so a client that only reads it loses nothing,
    citations included.
    """
    currency = res.currency.model_dump() if res.currency is not None else None
    yield _event("meta", {"query": res.query, "provenance": res.provenance, "currency": currency})
    if res.abstain_reason is not None:
        yield _event("abstain", res.abstain_reason.model_dump())
    else:
        for i, s in enumerate(res.sentences):
            yield _event(
                "delta", {"text": ("" if i == 0 else " ") + with_markers(s.text, tuple(s.citations))}
            )
    yield _event("citations", [c.model_dump() for c in res.citations])
    yield _event("sentences", [s.model_dump() for s in res.sentences])
    yield _event("done", res.model_dump())


@router.post(
    "/ask",
    response_model=AskResponse,
    responses=_ERRORS | {200: {"content": {"text/event-stream": {}}}},
)
def ask(
    body: AskBody, answers: AnswersDep, metrics: MetricsDep, request: Request, cancelled: CancelledDep
) -> AskResponse | StreamingResponse:
    """Answer a question only from the indexed evidence, citing every sentence, or abstain with a reason.

    Each sentence of the answer is checked against the passages it cites (`sentences[].verdict`). With
    `"stream": true` the response is `text/event-stream`: `meta`, `delta` (answer text), `citations`,
    `sentences`, then `done` carrying the complete response; an abstention sends `abstain` instead of deltas.
    """
    audit_details(request).question = body.question
    history = [(t.role, t.content) for t in body.history]
    answer = answers.ask(body.question, filters=body.filters, history=history, cancelled=cancelled)
    metrics.observe_answer(answer)
    note_answer(request, answer)
    res = AskResponse.from_answer(answer)
    if body.stream:
        return StreamingResponse(
            sse_events(res), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )
    return res
