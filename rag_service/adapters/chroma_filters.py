"""Translate our search filters into a Chroma ``where`` clause.

The rules mirror :func:`rag_service.domain.retrieval.matches`, which the keyword side applies, so both
retrievers see the same documents; a contract test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rag_service.domain.retrieval import FILTERABLE_FIELDS, SearchFilters


def field_name(key: str) -> str:
    """The Chroma metadata field holding a provenance field or a free metadata key."""
    return key if key in FILTERABLE_FIELDS else f"x_{key}"


def where_clause(filters: SearchFilters | None, excluded: Collection[str] = ()) -> dict[str, Any] | None:
    """A Chroma ``where`` for the filters, or None when nothing is restricted."""
    conditions: list[dict[str, Any]] = []
    f = filters or SearchFilters()
    if f.doc_types:
        conditions.append({"doc_type": {"$in": list(f.doc_types)}})
    if f.organisations:
        conditions.append({"organisation": {"$in": list(f.organisations)}})
    if f.year_min is not None:
        conditions.append({"year": {"$gte": f.year_min}})
    if f.year_max is not None:
        conditions.append({"year": {"$lte": f.year_max}})
    if f.doc_ids is not None:
        # An empty "only these" list matches nothing; Chroma rejects an empty $in, so use an impossible id.
        conditions.append({"doc_id": {"$in": list(f.doc_ids) or [""]}})
    left_out = sorted({*(f.exclude_doc_ids or []), *excluded})
    if left_out:
        conditions.append({"doc_id": {"$nin": left_out}})
    for key, value in (f.metadata or {}).items():
        conditions.append({field_name(key): {"$eq": value}})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}
