"""What the indexed documents can be filtered by: document types, organisations and the year range."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rag_service.domain.documents import DocumentMeta


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts of documents per filter value, most frequent first (ties by value), and the years covered."""

    documents: int
    doc_types: list[tuple[str, int]]
    organisations: list[tuple[str, int]]
    year_min: int | None
    year_max: int | None


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def facets_of(metas: Iterable[DocumentMeta]) -> Facets:
    """Facets of the given documents; documents without an organisation or year are left out of that facet."""
    metas = list(metas)
    years = [m.year for m in metas if m.year is not None]
    return Facets(
        documents=len(metas),
        doc_types=_ranked(Counter(m.doc_type for m in metas)),
        organisations=_ranked(Counter(m.organisation for m in metas if m.organisation)),
        year_min=min(years, default=None),
        year_max=max(years, default=None),
    )
