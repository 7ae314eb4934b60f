"""Checks every question passes before it reaches retrieval or a model."""

from __future__ import annotations

import unicodedata

from rag_service.domain.errors import InvalidRequestError

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def clean_question(text: str, max_chars: int) -> str:
    """The question with surrounding whitespace removed; raises InvalidRequestError when it is unusable.

    The message never repeats the question: it may hold patient data.
    """
    question = text.strip()
    if not question:
        raise InvalidRequestError("the question is empty")
    if len(question) > max_chars:
        raise InvalidRequestError(f"the question has {len(question)} characters; the limit is {max_chars}")
    bad = sum(
        1
        for ch in question
        if (unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"} and ch not in _ALLOWED_CONTROLS)
        or ch == "\ufffd"
    )
    if bad:
        raise InvalidRequestError(
            f"the question holds {bad} control, unassigned or undecodable character(s); send plain text"
        )
    if not any(ch.isalnum() for ch in question):
        raise InvalidRequestError("the question has no letters or digits")
    return question
