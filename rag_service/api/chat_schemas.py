"""The OpenAI chat-completions shapes the compatibility endpoint accepts and returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChatMessage(BaseModel):
    """One message; only text content is accepted."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant", "developer"]
    content: str = Field(max_length=100_000)


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
