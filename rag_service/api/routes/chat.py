"""OpenAI-compatible chat completions, so chat clients and the OpenAI SDK can use the service as a model.

The last user message is the question and earlier user/assistant messages are the history (system
messages are ignored: the service's own rules apply). The reply's content is the cited answer (or the
abstention message) followed, unless the request turns it off, by a numbered reference list, so the citations
survive in clients that show only the text; the full result, with citations and verdicts, is in the extra field
``rag``. ``GET /v1/models`` lists the service as the one model such clients can select.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse

from rag_service.api.answer_guard import CancelledDep
from rag_service.api.answer_schemas import AskResponse
from rag_service.api.audit import audit_details, note_answer
from rag_service.api.chat_schemas import ChatRequest, ModelCard, ModelList
from rag_service.api.deps import AnswersDep, SettingsDep
from rag_service.api.metrics import MetricsDep
from rag_service.api.references import reference_list
from rag_service.api.schemas import ErrorEnvelope
from rag_service.domain.errors import InvalidRequestError, ModelNotFoundError
from rag_service.domain.text import with_markers

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
_ERRORS: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorEnvelope},
    422: {"model": ErrorEnvelope},
    502: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
    504: {"model": ErrorEnvelope},
}


def _content(res: AskResponse) -> str:
    return res.answer if not res.abstained or res.abstain_reason is None else res.abstain_reason.message


def _chunk(base: dict[str, object], delta: dict[str, str], finish: str | None = None, **extra: object) -> str:
    body = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]} | extra
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _references(res: AskResponse, wanted: bool) -> str:
    return reference_list(res.answer, res.citations) if wanted and not res.abstained else ""


def _stream(res: AskResponse, base: dict[str, object], references: str) -> Iterator[str]:
    yield _chunk(base, {"role": "assistant", "content": ""})
    if res.abstained:
        yield _chunk(base, {"content": _content(res)})
    else:
        for i, s in enumerate(res.sentences):
            yield _chunk(
                base, {"content": ("" if i == 0 else " ") + with_markers(s.text, tuple(s.citations))}
            )
    if references:
        yield _chunk(base, {"content": references})
    # The last chunk carries everything, citations included, so streaming never loses them.
    yield _chunk(base, {}, "stop", rag=res.model_dump())
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", responses=_ERRORS)
def chat_completions(
    body: ChatRequest, answers: AnswersDep, metrics: MetricsDep, request: Request, cancelled: CancelledDep
) -> object:
    """Answer the last user message from the evidence, in the OpenAI chat-completions format."""
    turns = [(m.role, m.content) for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise InvalidRequestError("the last message must be the user's question")
    question, history = turns[-1][1], turns[:-1]
    audit_details(request).question = question
    answer = answers.ask(question, history=history, cancelled=cancelled)
    metrics.observe_answer(answer)
    note_answer(request, answer)
    res = AskResponse.from_answer(answer)
    rid = getattr(request.state, "request_id", "")
    base: dict[str, object] = {"id": f"chatcmpl-{rid}", "created": int(time.time()), "model": body.model}
    references = _references(res, body.references)
    if body.stream:
        return StreamingResponse(
            _stream(res, base | {"object": "chat.completion.chunk"}, references),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )
    return base | {
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": _content(res) + references},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "rag": res.model_dump(),
    }


_MODEL_ERRORS: dict[int | str, dict[str, object]] = {404: {"model": ErrorEnvelope}, **_ERRORS}


def _card(settings: SettingsDep, request: Request) -> ModelCard:
    return ModelCard(
        id=settings.api.model_name,
        created=int(getattr(request.app.state, "started_at", 0)),
        owned_by=settings.api.model_owner,
    )


@router.get("/models", response_model=ModelList, responses=_MODEL_ERRORS)
def list_models(settings: SettingsDep, request: Request) -> ModelList:
    """The service as the one model OpenAI-compatible chat clients can select (``models.list()``)."""
    return ModelList(data=[_card(settings, request)])


@router.get("/models/{model_id}", response_model=ModelCard, responses=_MODEL_ERRORS)
def get_model(
    model_id: Annotated[str, Path(min_length=1, max_length=200)], settings: SettingsDep, request: Request
) -> ModelCard:
    """The service's model card; 404 in the envelope for any other id."""
    if model_id != settings.api.model_name:
        raise ModelNotFoundError(
            f"no model with id {model_id!r}; this service answers as {settings.api.model_name!r}"
        )
    return _card(settings, request)
