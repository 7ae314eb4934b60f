"""Listing, reading and deleting documents, and the filter values they offer."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from rag_service.domain.errors import DocumentNotFoundError
from rag_service.domain.protocols import DocumentCatalog, DocumentRecord
from rag_service.services.doc_view import DocumentView
from rag_service.services.facets import Facets, facets_of
from rag_service.services.indexing import DocumentIndex


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One page of the document listing."""

    items: list[DocumentRecord]
    total: int
    offset: int
    limit: int
    superseded: frozenset[str] = frozenset()


class DocumentService:
    """Read and remove documents through the index, so the vector and lexical sides stay in step."""

    def __init__(
        self,
        catalog: DocumentCatalog,
        index: DocumentIndex,
        writer_lock: Callable[[], AbstractContextManager[None]],
        view: DocumentView | None = None,
    ) -> None:
        self._catalog = catalog
        self._index = index
        self._writer_lock = writer_lock
        self._view = view or DocumentView(catalog)

    def page(self, offset: int, limit: int, query: str | None = None) -> DocumentPage:
        """Documents ordered by id; with ``query``, only those whose id, title, organisation, journal, source
        or identifiers contain it (case-insensitive)."""
        self._view.refresh()
        superseded = self._view.superseded
        if not query or not query.strip():
            items = self._catalog.documents(offset=offset, limit=limit)
            total = self._catalog.document_count()
            return DocumentPage(items, total, offset, limit, superseded)
        # A substring scan of the listing's own fields: the catalog is small next to the passages, and a
        # manager looking for "WHO 2021" expects any of these fields to match.
        needle = query.strip().lower()
        found = [r for r in self._catalog.documents() if needle in _searchable(r)]
        return DocumentPage(found[offset : offset + limit], len(found), offset, limit, superseded)

    def is_superseded(self, doc_id: str) -> bool:
        """Whether a newer edition of this document's series is indexed."""
        self._view.refresh()
        return doc_id in self._view.superseded

    def facets(self) -> Facets:
        """Filter values of the current (complete, not superseded) documents, with document counts."""
        return facets_of(self._view.current())

    def get(self, doc_id: str) -> DocumentRecord:
        """One document, or DocumentNotFoundError."""
        record = self._catalog.document(doc_id)
        if record is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        return record

    def delete(self, doc_id: str) -> int:
        """Remove a document and its passages from every index; returns the passages removed."""
        self.get(doc_id)
        with self._writer_lock():
            removed = self._index.delete([doc_id])
            self._index.refresh_lexical()
        return removed


def _searchable(record: DocumentRecord) -> str:
    m = record.meta
    fields = (
        m.doc_id,
        m.title,
        m.organisation,
        m.journal,
        m.source,
        m.pmid,
        m.doi,
        m.version,
        str(m.year or ""),
    )
    return " ".join(f for f in fields if f).lower()
