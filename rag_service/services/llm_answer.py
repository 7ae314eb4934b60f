"""The LLM answer backend and follow-up rewriting, driven by the prompt files."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag_service.domain.answers import Draft
from rag_service.domain.protocols import ChatModel
from rag_service.domain.retrieval import Evidence
from rag_service.services.injection import instruction_like
from rag_service.services.prompts import PromptSet

SENTINEL = "INSUFFICIENT_EVIDENCE"
_SENTINEL_ONLY = re.compile(rf"^\W*{SENTINEL}\W*$")
ANSWER_PROMPTS = ("answer.system", "answer.user")
REWRITE_PROMPTS = ("rewrite.system", "rewrite.user")


def _unchanged(text: str) -> str:
    return text


_FENCE = re.compile(r"<(\s*/?\s*(?:passage|evidence)\b)", re.IGNORECASE)


def _quoted(text: str) -> str:
    """Passage text that cannot close its own block (or the evidence fence) and smuggle text outside it."""
    return _FENCE.sub(r"&lt;\1", text)


def _attribute(text: str) -> str:
    """A title or heading as an attribute value: no quote or angle bracket can end the attribute or tag."""
    return " ".join(re.sub(r'["<>]', " ", text).split())


class LlmAnswerer:
    """Drafts an answer with a chat model from numbered, quoted evidence."""

    name = "openai"

    def __init__(
        self,
        chat: ChatModel,
        prompts: PromptSet,
        max_sentences: int,
        redactor: Callable[[str], str] | None = None,
    ) -> None:
        self._chat = chat
        self._prompts = prompts
        self._max = max_sentences
        # Applied to the question before it leaves for the chat server (privacy.redaction).
        self._redact = redactor or _unchanged

    @property
    def model(self) -> str:
        """The chat model's name."""
        return self._chat.model

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        """Ask the model; the insufficient-evidence sentinel becomes a draft marked insufficient."""
        blocks = [
            {
                "number": i,
                "title": _attribute(e.meta.title),
                "heading": _attribute(" > ".join(e.heading_path)),
                "year": e.meta.year,
                "text": _quoted(e.text),
                "untrusted": instruction_like(e.text),
            }
            for i, e in enumerate(evidence, start=1)
        ]
        messages = [
            ("system", self._prompts.render("answer.system", max_sentences=self._max)),
            ("user", self._prompts.render("answer.user", question=self._redact(question), evidence=blocks)),
        ]
        text = self._chat.complete(messages).strip()
        insufficient = bool(_SENTINEL_ONLY.match(text)) or (
            SENTINEL in text and len(text) < 3 * len(SENTINEL)
        )
        return Draft(
            text="" if insufficient else text, backend=self.name, model=self.model, insufficient=insufficient
        )


class LlmRewriter:
    """Turns a follow-up into a standalone question with the chat model."""

    def __init__(
        self, chat: ChatModel, prompts: PromptSet, redactor: Callable[[str], str] | None = None
    ) -> None:
        self._chat = chat
        self._prompts = prompts
        self._redact = redactor or _unchanged

    def __call__(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """The standalone question (the question itself when there is no history)."""
        if not history:
            return question
        turns = [{"role": role, "content": self._redact(content)} for role, content in history]
        messages = [
            ("system", self._prompts.render("rewrite.system")),
            ("user", self._prompts.render("rewrite.user", history=turns, question=self._redact(question))),
        ]
        rewritten = " ".join(self._chat.complete(messages).split())
        return rewritten if 0 < len(rewritten) <= 2000 else question
