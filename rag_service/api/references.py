"""The numbered reference list appended to chat replies, so citations survive in clients that show only text."""

from __future__ import annotations

from collections.abc import Sequence

from rag_service.api.answer_schemas import CitationOut
from rag_service.domain.text import marker_numbers


def reference_line(c: CitationOut) -> str:
    """``[n] Title — Organisation, year, heading, p. 4, PMID 1 / DOI 10.1/x / https://...`` (known parts only)."""
    ids = [f"PMID {c.pmid}" if c.pmid else "", f"DOI {c.doi}" if c.doi else "", c.url or ""]
    parts = [
        c.organisation or "",
        str(c.year) if c.year is not None else "",
        c.heading,
        f"p. {c.page}" if c.page is not None else "",
        " / ".join(i for i in ids if i),
    ]
    details = ", ".join(p for p in parts if p)
    return f"[{c.number}] {c.title}" + (f" — {details}" if details else "")


def reference_list(answer: str, citations: Sequence[CitationOut]) -> str:
    """The block to append to an answer: a blank line, 'References:' and one line per cited number.

    Only citations whose marker appears in the answer are listed (all of them when the text carries none);
    an answer without citations gets nothing.
    """
    cited = set(marker_numbers(answer))
    shown = [c for c in sorted(citations, key=lambda c: c.number) if not cited or c.number in cited]
    if not shown:
        return ""
    return "\n\nReferences:\n" + "\n".join(reference_line(c) for c in shown)
