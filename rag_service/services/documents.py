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

    def page(self, offset: int, limit: int) -> DocumentPage:
        """Documents ordered by id."""
        items = self._catalog.documents(offset=offset, limit=limit)
        return DocumentPage(items=items, total=self._catalog.document_count(), offset=offset, limit=limit)

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
