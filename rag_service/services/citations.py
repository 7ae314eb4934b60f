"""Reading the ``[n]`` citation markers of a draft: which sentence cites which evidence.

The marker syntax itself is defined in :mod:`rag_service.domain.text`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag_service.domain.text import marker_numbers, split_leading_markers, split_sentences, strip_markers


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
        lead, rest = split_leading_markers(sentence)
        if lead and pieces:
            pieces[-1].append(lead)
            sentence = rest
        if sentence.strip():
            pieces.append([sentence])
    out: list[ParsedSentence] = []
    for parts in pieces:
        joined = " ".join(parts)
        numbers = marker_numbers(joined)
        valid = tuple(dict.fromkeys(n for n in numbers if 1 <= n <= evidence_count))
        clean = " ".join(strip_markers(joined).split())
        invalid = sum(1 for n in numbers if not 1 <= n <= evidence_count)
        out.append(ParsedSentence(text=clean, cited=valid, invalid=invalid))
    return out
