"""An in-memory view of the catalog's documents for filtering and version handling at query time.

Rebuilt whenever the catalog's version counter moves (any ingest or delete), so filters on the keyword side
and superseded editions always reflect what is indexed.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable

from rag_service.domain.documents import DocumentMeta
from rag_service.domain.protocols import DocumentCatalog
from rag_service.domain.retrieval import SearchFilters, matches

_NUMBER = re.compile(r"(\d+)")


def edition_key(meta: DocumentMeta) -> tuple[object, ...]:
    """Orders editions of one series: by year, then by version compared number by number ('2.10' > '2.9')."""
    parts = _NUMBER.split(meta.version or "")
    version = tuple((1, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in parts if p)
    return (meta.year or 0, version)


def superseded_ids(metas: Iterable[DocumentMeta]) -> frozenset[str]:
    """Documents that have a newer edition in the same series (``series_id``) in the index."""
    series: dict[str, list[DocumentMeta]] = defaultdict(list)
    for meta in metas:
        if meta.series_id:
            series[meta.series_id].append(meta)
    out: set[str] = set()
    for editions in series.values():
        if len(editions) < 2:
            continue
        newest = max(edition_key(m) for m in editions)
        out.update(m.doc_id for m in editions if edition_key(m) < newest)
    return frozenset(out)


class DocumentView:
    """Metadata of every complete document, keyed by id, with the set of superseded editions."""

    def __init__(self, catalog: DocumentCatalog) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._version: int | None = None
        self._metas: dict[str, DocumentMeta] = {}
        self._superseded: frozenset[str] = frozenset()
        self._current: frozenset[str] | None = None

    def refresh(self) -> None:
        """Reload from the catalog if it changed since the last load."""
        version = self._catalog.lexical_version()
        if version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            metas = {r.meta.doc_id: r.meta for r in self._catalog.documents() if r.status == "complete"}
            self._metas = metas
            self._superseded = superseded_ids(metas.values())
            self._current = None
            self._version = version

    def meta(self, doc_id: str) -> DocumentMeta | None:
        """Provenance of one document, or None if it is not (or no longer) indexed."""
        return self._metas.get(doc_id)

    def current(self) -> list[DocumentMeta]:
        """Metadata of every complete document that no newer edition supersedes: what a default search sees."""
        self.refresh()
        with self._lock:
            return [m for doc_id, m in self._metas.items() if doc_id not in self._superseded]

    @property
    def superseded(self) -> frozenset[str]:
        """Ids of documents with a newer edition in the index."""
        return self._superseded

    def allowed(self, filters: SearchFilters) -> frozenset[str] | None:
        """Ids of the documents passing the filters, or None when every document does.

        Superseded editions pass only when the filters include them.
        """
        excluded = frozenset() if filters.include_superseded else self._superseded
        if filters.is_empty():
            if not excluded:
                return None
            with self._lock:
                if self._current is None:
                    self._current = frozenset(self._metas.keys() - excluded)
                return self._current
        return frozenset(doc_id for doc_id, meta in self._metas.items() if matches(meta, filters, excluded))
