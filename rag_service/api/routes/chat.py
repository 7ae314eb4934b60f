"""OpenAI-compatible chat completions, so chat clients and the OpenAI SDK can use the service as a model.

The last user message is the question and earlier user/assistant messages are the history (system
messages are ignored: the service's own rules apply). The reply's content is the cited answer (or the
abstention message); the full result, with citations and verdicts, is in the extra field ``rag``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from rag_service.api.answer_schemas import AskResponse
from rag_service.api.chat_schemas import ChatRequest
from rag_service.api.deps import AnswersDep
from rag_service.api.schemas import ErrorEnvelope
from rag_service.domain.errors import InvalidRequestError
from rag_service.domain.text import with_markers

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
_ERRORS: dict[int | str, dict[str, object]] = {
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


def _stream(res: AskResponse, base: dict[str, object]) -> Iterator[str]:
    yield _chunk(base, {"role": "assistant", "content": ""})
    if res.abstained:
        yield _chunk(base, {"content": _content(res)})
    else:
        for i, s in enumerate(res.sentences):
            yield _chunk(
                base, {"content": ("" if i == 0 else " ") + with_markers(s.text, tuple(s.citations))}
            )
    # The last chunk carries everything, citations included, so streaming never loses them.
    yield _chunk(base, {}, "stop", rag=res.model_dump())
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", responses=_ERRORS)
def chat_completions(body: ChatRequest, answers: AnswersDep, request: Request) -> object:
    """Answer the last user message from the evidence, in the OpenAI chat-completions format."""
    turns = [(m.role, m.content) for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise InvalidRequestError("the last message must be the user's question")
    question, history = turns[-1][1], turns[:-1]
    res = AskResponse.from_answer(answers.ask(question, history=history))
    rid = getattr(request.state, "request_id", "")
    base: dict[str, object] = {"id": f"chatcmpl-{rid}", "created": int(time.time()), "model": body.model}
    if body.stream:
        return StreamingResponse(
            _stream(res, base | {"object": "chat.completion.chunk"}),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )
    return base | {
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": _content(res)}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "rag": res.model_dump(),
    }
