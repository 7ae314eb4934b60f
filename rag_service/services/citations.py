"""Reading ``[n]`` citation markers out of a draft and writing them back renumbered.

Hand-written because the marker syntax is ours (the prompt defines it) and no library parses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag_service.services.reranking import split_sentences

MARKER = re.compile(r"\[(\d{1,3})\]")
_LEADING_MARKERS = re.compile(r"^\s*((?:\[\d{1,3}\]\s*)+)")
_MARKER_WITH_SPACE = re.compile(r"\s*\[\d{1,3}\]")


@dataclass(frozen=True, slots=True)
class ParsedSentence:
    """A draft sentence: its text without markers, and the valid citation numbers it carried."""

    text: str
    cited: tuple[int, ...]
    invalid: int


def parse_draft(text: str, evidence_count: int) -> list[ParsedSentence]:
    """Split a draft into sentences and their citations; numbers outside 1..evidence_count are invalid.

    Markers written after a sentence's full stop ("... 3 hours. [1] Next ...") belong to the sentence
    before them, where sentence splitting would otherwise put them at the start of the next.
    """
    pieces: list[list[str]] = []
    for sentence in split_sentences(text):
        lead = _LEADING_MARKERS.match(sentence)
        if lead and pieces:
            pieces[-1].append(lead.group(1))
            sentence = sentence[lead.end() :]
        if sentence.strip():
            pieces.append([sentence])
    out: list[ParsedSentence] = []
    for parts in pieces:
        joined = " ".join(parts)
        numbers = [int(n) for n in MARKER.findall(joined)]
        valid = tuple(dict.fromkeys(n for n in numbers if 1 <= n <= evidence_count))
        clean = " ".join(_MARKER_WITH_SPACE.sub("", joined).split())
        invalid = sum(1 for n in numbers if not 1 <= n <= evidence_count)
        out.append(ParsedSentence(text=clean, cited=valid, invalid=invalid))
    return out


def with_markers(text: str, numbers: tuple[int, ...]) -> str:
    """A sentence with its citation markers before its final punctuation: 'Give 30 mL/kg [1][2].'"""
    if not numbers:
        return text
    marks = "".join(f"[{n}]" for n in numbers)
    if text and text[-1] in ".!?;:":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}"
