"""Reading a chat-completions request back into what the service's prompt files put into it.

The service sends three kinds of request (see ``prompts/``): an answer request (``answer.user``: the question
and ``<passage number=... title=...>`` blocks), a follow-up rewrite (``rewrite.user``: "Last question: ...")
and a support judgement (``judge.user``: either one ``<evidence>`` block and "Statement: ...", or numbered
``<passage>`` blocks and "Statements:" lines such as "1. (passages 1, 2) text", answered one line each).
They are told apart by the structure of the user message, not by the system prompt's wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_QUESTION = re.compile(r"^Question: (.*?)\n\s*\nEvidence passages:", re.S)
_PASSAGE = re.compile(r'<passage number="(\d+)" title="(.*?)"(?: [a-z]+="[^"]*")*>\n(.*?)\n</passage>', re.S)
_MAX_SENTENCES = re.compile(r"at most (\d+) sentences", re.IGNORECASE)
_LAST_QUESTION = re.compile(r"Last question: (.*)\Z", re.S)
_EVIDENCE = re.compile(r"<evidence>\n?(.*?)\n?</evidence>", re.S)
_STATEMENT = re.compile(r"Statement: (.*)\Z", re.S)
_JUDGE_PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
_STATEMENTS = re.compile(r"^Statements:\s*$", re.M)
_NUMBERED_STATEMENT = re.compile(r"^(\d+)\. \(passages ([\d, ]*)\) (.+)$", re.M)
DEFAULT_MAX_SENTENCES = 4


@dataclass(frozen=True, slots=True)
class Passage:
    """One numbered evidence passage of an answer prompt."""

    number: int
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """Answer ``question`` from ``passages`` in at most ``max_sentences`` sentences."""

    question: str
    passages: tuple[Passage, ...]
    max_sentences: int


@dataclass(frozen=True, slots=True)
class RewriteRequest:
    """Turn the last question of a conversation into a standalone one."""

    question: str


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement to judge and the evidence it is judged against."""

    number: int
    text: str
    evidence: str


@dataclass(frozen=True, slots=True)
class JudgeRequest:
    """Say whether each statement's evidence supports it; ``numbered`` replies take one line per statement."""

    statements: tuple[Statement, ...]
    numbered: bool


ChatRequest = AnswerRequest | RewriteRequest | JudgeRequest


def _text(message: Mapping[str, Any]) -> str:
    """A message's text; OpenAI content parts are joined."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def parse_request(messages: Sequence[Mapping[str, Any]]) -> ChatRequest | None:
    """What a chat request asks for, or None when it is none of the service's prompts."""
    system = " ".join(_text(m) for m in messages if m.get("role") == "system")
    users = [_text(m) for m in messages if m.get("role") == "user"]
    if not users:
        return None
    user = users[-1].strip()
    question = _QUESTION.search(user)
    if question:
        limit = _MAX_SENTENCES.search(system)
        passages = tuple(
            Passage(int(n), title, text) for n, title, text in _PASSAGE.findall(user[question.end() :])
        )
        return AnswerRequest(
            question=" ".join(question.group(1).split()),
            passages=passages,
            max_sentences=int(limit.group(1)) if limit else DEFAULT_MAX_SENTENCES,
        )
    last = _LAST_QUESTION.search(user)
    if last:
        return RewriteRequest(question=last.group(1).strip())
    evidence, statement = _EVIDENCE.search(user), _STATEMENT.search(user)
    if evidence and statement:
        return JudgeRequest((Statement(1, statement.group(1).strip(), evidence.group(1)),), numbered=False)
    heading = _STATEMENTS.search(user)
    if heading:
        texts = {int(n): text for n, text in _JUDGE_PASSAGE.findall(user[: heading.start()])}
        statements = tuple(
            Statement(
                int(n),
                text.strip(),
                "\n\n".join(texts.get(int(c), "") for c in cited.replace(",", " ").split()),
            )
            for n, cited, text in _NUMBERED_STATEMENT.findall(user[heading.end() :])
        )
        return JudgeRequest(statements, numbered=True) if statements else None
    return None
