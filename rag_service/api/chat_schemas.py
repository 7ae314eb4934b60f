"""The OpenAI chat-completions shapes the compatibility endpoint accepts and returns."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema, field_validator

from rag_service.api.schemas import MAX_HISTORY_TURN_CHARS, MAX_QUESTION_CHARS

MAX_MESSAGE_CHARS = 100_000
"""Longest message of any role (system messages are accepted and ignored)."""
MAX_TURN_CHARS = max(MAX_QUESTION_CHARS, MAX_HISTORY_TURN_CHARS)
"""Longest user or assistant message: the last one is the question, earlier ones the history."""

_CONTENT_SCHEMA = {
    "anyOf": [
        {"type": "string", "maxLength": MAX_MESSAGE_CHARS},
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
                "required": ["type", "text"],
            },
        },
    ],
    "description": (
        "Text, or a list of text parts ({'type': 'text', 'text': ...}) that are joined with newlines; any other "
        f"part (image, audio, file) is refused with 422. A user or assistant message holds at most "
        f"{MAX_TURN_CHARS} characters, any message at most {MAX_MESSAGE_CHARS}. The last user message is the "
        "question and must hold some text."
    ),
}


class ChatMessage(BaseModel):
    """One message; only text content is accepted, as a string or as OpenAI's list of text parts."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant", "developer"]
    content: Annotated[str, WithJsonSchema(_CONTENT_SCHEMA)]

    @field_validator("content", mode="before")
    @classmethod
    def _text_parts(cls, value: object) -> object:
        """Join list-form content (``[{"type": "text", "text": ...}]``) into one string."""
        if not isinstance(value, list):
            return value
        texts: list[str] = []
        for i, part in enumerate(value):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind != "text":
                raise ValueError(
                    f"content part {i} has type {kind!r}; only text parts ({{'type': 'text', 'text': ...}}) "
                    "are accepted"
                )
            text = part.get("text")
            if not isinstance(text, str):
                raise ValueError(f"content part {i} has no 'text' string")
            texts.append(text)
        return "\n".join(texts)

    @field_validator("content")
    @classmethod
    def _length(cls, value: str, info: ValidationInfo) -> str:
        limit = MAX_TURN_CHARS if info.data.get("role") in ("user", "assistant") else MAX_MESSAGE_CHARS
        if len(value) > limit:
            raise ValueError(f"a {info.data.get('role')} message holds at most {limit} characters")
        return value


class ChatRequest(BaseModel):
    """An OpenAI chat-completions request. Sampling parameters are accepted and ignored: the answer is
    built from the evidence, not sampled."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(default="clinical-rag", max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=60)
    stream: bool = False
    references: bool = Field(
        default=True,
        description=(
            "End the reply's content with a numbered reference list ('References:' then '[n] title — "
            "organisation, year, section, p. page, PMID / DOI / URL'), for clients that show only the text."
        ),
    )


class ModelCard(BaseModel):
    """One model in the OpenAI models listing: this service."""

    id: str
    object: Literal["model"] = "model"
    created: int = Field(description="When the service started, in Unix seconds.")
    owned_by: str


class ModelList(BaseModel):
    """The OpenAI models listing, so chat front ends can select the service."""

    object: Literal["list"] = "list"
    data: list[ModelCard]
