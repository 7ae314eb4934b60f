"""Our text conventions: the ``[n]`` citation-marker syntax and how a passage is split into sentences.

The marker syntax is ours (the prompts define it and no library parses it), so it is written, read and removed
only here; answering, support scoring, the routes and the evaluation all use these helpers.
"""

from __future__ import annotations

import re

from sentencex import segment

MARKER = re.compile(r"\[(\d{1,3})\]")
"""One citation marker; group 1 is its number."""

_LEADING_MARKERS = re.compile(r"^\s*((?:\[\d{1,3}\]\s*)+)")
_MARKER_WITH_SPACE = re.compile(r"\s*\[\d{1,3}\]")


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage (rule-based, aware of abbreviations and decimals)."""
    return [s.strip() for s in segment("en", text) if s.strip()]


def marker_numbers(text: str) -> list[int]:
    """The numbers of every citation marker in ``text``, in order, repeats included."""
    return [int(n) for n in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    """The text without its ``[n]`` citation markers (and the spaces before them), stripped."""
    return _MARKER_WITH_SPACE.sub("", text).strip()


def split_leading_markers(text: str) -> tuple[str, str]:
    """The markers a text opens with ("[1] [2] ") and the rest; ("", text) when it opens with none."""
    lead = _LEADING_MARKERS.match(text)
    if lead is None:
        return "", text
    return lead.group(1), text[lead.end() :]


def with_markers(text: str, numbers: tuple[int, ...]) -> str:
    """A sentence with its citation markers before its final punctuation: 'Give 30 mL/kg [1][2].'"""
    if not numbers:
        return text
    marks = "".join(f"[{n}]" for n in numbers)
    if text and text[-1] in ".!?;:":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}"
