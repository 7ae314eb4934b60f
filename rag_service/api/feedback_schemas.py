"""Request and response bodies of the feedback endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rag_service.domain.feedback import CitedDocument, FeedbackKind, Rating


class CitationIn(BaseModel):
    """A citation of the rated answer as ``/v1/ask`` returned it; fields beyond these are ignored."""

    model_config = ConfigDict(extra="ignore")

    number: int = Field(ge=1, le=1000)
    doc_id: str = Field(min_length=1, max_length=200)
    chunk_id: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=1000)
    version: str | None = Field(default=None, max_length=200)
    content_hash: str | None = Field(default=None, max_length=128)


class FeedbackBody(BaseModel):
    """Feedback on one answer: a rating of the whole answer, a wrong citation or an unsupported sentence."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "citation",
                    "citation": 2,
                    "comment": "This is the paediatric dose.",
                    "question": "What fluid volume is recommended in septic shock?",
                    "answer": "Give 30 mL/kg of crystalloid within 3 hours [1][2].",
                    "citations": [
                        {"number": 1, "doc_id": "ssc-2021", "version": "2021"},
                        {"number": 2, "doc_id": "paeds-sepsis"},
                    ],
                    "provenance": {"settings_hash": "3f2a9c0d1e2b4a5c", "prompt_hash": "extractive"},
                }
            ]
        },
    )

    kind: FeedbackKind = Field(
        description="'answer' (needs rating), 'citation' (needs citation), 'sentence'."
    )
    rating: Rating | None = Field(default=None, description="Required when kind is 'answer'.")
    citation: int | None = Field(
        default=None,
        ge=1,
        strict=True,
        description="Number of the citation flagged as wrong (kind 'citation').",
    )
    sentence: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        strict=True,
        description="0-based index of the sentence flagged as unsupported.",
    )
    comment: str | None = Field(default=None, max_length=5000)
    question: str = Field(min_length=1, max_length=100_000)
    answer: str = Field(max_length=200_000, description="The answer text as /v1/ask returned it.")
    citations: list[CitationIn] = Field(default_factory=list, max_length=200)
    provenance: dict[str, Any] = Field(
        default_factory=dict, description="The /v1/ask response's provenance, stored with the feedback."
    )

    def cited_documents(self) -> list[CitedDocument]:
        """The citations, with version and content hash filled from the provenance when not given."""
        editions: dict[str, dict[str, Any]] = {}
        for doc in self.provenance.get("documents") or []:
            if isinstance(doc, dict) and isinstance(doc.get("doc_id"), str):
                editions[doc["doc_id"]] = doc
        out = []
        for c in self.citations:
            known = editions.get(c.doc_id, {})
            version = c.version or known.get("version")
            content_hash = c.content_hash or known.get("content_hash")
            out.append(
                CitedDocument(
                    number=c.number,
                    doc_id=c.doc_id,
                    chunk_id=c.chunk_id,
                    title=c.title,
                    version=str(version) if version is not None else None,
                    content_hash=str(content_hash) if content_hash is not None else None,
                )
            )
        return out


class FeedbackCreated(BaseModel):
    """The stored feedback's id and time."""

    id: str
    created_at: datetime
