"""Collapse near-duplicate passages so the same text ingested twice cannot fill the top results.

Word shingles with a Jaccard threshold: exact for copies, tolerant of whitespace, punctuation and case, and
of small edits. Written by hand because the lists are short (tens of passages) and a MinHash library would
add a dependency for no gain at this size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.domain.retrieval import Candidate

_WORD = re.compile(r"\w+")
_SHINGLE = 3


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    """Overlapping word triples of a text, case and punctuation ignored."""
    words = _WORD.findall(text.lower())
    if len(words) < _SHINGLE:
        return frozenset([tuple(words)])
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def similarity(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Jaccard similarity of two shingle sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def collapse(candidates: Sequence[Candidate], threshold: float) -> list[Candidate]:
    """Keep the first (best-ranked) of each group of near-duplicates; the others are listed on it."""
    kept: list[tuple[Candidate, frozenset[tuple[str, ...]]]] = []
    for cand in candidates:
        sh = shingles(cand.text)
        for first, first_sh in kept:
            if similarity(sh, first_sh) >= threshold:
                first.duplicates.append((cand.doc_id, cand.chunk_id))
                break
        else:
            kept.append((cand, sh))
    return [c for c, _ in kept]
