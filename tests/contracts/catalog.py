"""What every DocumentCatalog must do: pending then complete documents, deletes, files, the lexical version."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rag_service.domain.documents import Chunk, ChunkedDocument, DocumentMeta
from rag_service.domain.protocols import DocumentCatalog, FileRecord

MakeCatalog = Callable[[], DocumentCatalog]


def document(doc_id: str, *texts: str, title: str = "Title") -> ChunkedDocument:
    meta = DocumentMeta(doc_id=doc_id, title=title, source=f"/corpus/{doc_id}.txt", year=2020)
    chunks = [Chunk(f"{doc_id}#{i}", doc_id, i, t, (title, "Section"), None) for i, t in enumerate(texts)]
    return ChunkedDocument(meta=meta, content_hash=f"hash-{doc_id}-{len(texts)}", chunks=chunks)


class CatalogContract:
    """Mix into a test class that provides ``make_catalog``: opened catalogs on one fresh location."""

    @pytest.fixture
    def make_catalog(self) -> MakeCatalog:
        raise NotImplementedError

    @pytest.fixture
    def catalog(self, make_catalog: MakeCatalog) -> DocumentCatalog:
        return make_catalog()

    def test_a_new_catalog_is_empty(self, catalog: DocumentCatalog) -> None:
        assert catalog.document_count() == 0 and catalog.chunk_count() == 0
        assert catalog.documents() == [] and catalog.files() == [] and catalog.unfinished() == []
        assert list(catalog.iter_complete_chunks()) == [] and catalog.document("x") is None

    def test_a_begun_document_is_pending_until_completed(self, catalog: DocumentCatalog) -> None:
        doc = document("alpha", "First passage.", "Second passage.")
        catalog.begin_documents([doc], ["/corpus/alpha.txt"])
        pending = catalog.document("alpha")
        assert pending is not None and pending.status != "complete"
        assert catalog.unfinished() == ["alpha"]
        assert catalog.chunk_ids("alpha") == {"alpha#0", "alpha#1"}  # known before any vector is written
        assert catalog.chunk_count() == 0 and list(catalog.iter_complete_chunks()) == []

        version = catalog.lexical_version()
        catalog.complete_documents([doc], ["/corpus/alpha.txt"])
        done = catalog.document("alpha")
        assert done is not None and done.status == "complete" and done.chunk_count == 2
        assert done.content_hash == doc.content_hash and done.file_path == "/corpus/alpha.txt"
        assert done.meta == doc.meta and done.ingested_at
        assert catalog.unfinished() == [] and catalog.chunk_count() == 2
        assert catalog.lexical_version() > version
        assert catalog.documents_of_file("/corpus/alpha.txt") == ["alpha"]

    def test_complete_chunks_carry_title_and_heading_for_keywords(self, catalog: DocumentCatalog) -> None:
        doc = document("alpha", "Give fluids early.", title="Sepsis care")
        catalog.begin_documents([doc], [None])
        catalog.complete_documents([doc], [None])
        [(cid, doc_id, text)] = list(catalog.iter_complete_chunks())
        assert (cid, doc_id) == ("alpha#0", "alpha")
        assert "Give fluids early." in text and "Sepsis care" in text and "Section" in text

    def test_a_rewrite_keeps_only_the_new_passages(self, catalog: DocumentCatalog) -> None:
        first = document("alpha", "One.", "Two.", "Three.")
        catalog.begin_documents([first], [None])
        catalog.complete_documents([first], [None])
        second = document("alpha", "One.")
        catalog.begin_documents([second], [None])
        assert catalog.chunk_ids("alpha") >= {"alpha#0"}
        catalog.complete_documents([second], [None])
        assert catalog.chunk_ids("alpha") == {"alpha#0"} and catalog.chunk_count() == 1

    def test_documents_page_in_id_order(self, catalog: DocumentCatalog) -> None:
        docs = [document(name, "Text.") for name in ("delta", "alpha", "charlie", "bravo")]
        catalog.begin_documents(docs, [None] * 4)
        catalog.complete_documents(docs, [None] * 4)
        assert [r.meta.doc_id for r in catalog.documents()] == ["alpha", "bravo", "charlie", "delta"]
        assert [r.meta.doc_id for r in catalog.documents(offset=1, limit=2)] == ["bravo", "charlie"]
        assert catalog.document_count() == 4

    def test_a_delete_is_marked_then_forgotten(self, catalog: DocumentCatalog) -> None:
        docs = [document("alpha", "A."), document("bravo", "B.")]
        catalog.begin_documents(docs, [None, None])
        catalog.complete_documents(docs, [None, None])
        version = catalog.lexical_version()
        catalog.begin_delete(["alpha"])
        assert catalog.unfinished() == ["alpha"]
        catalog.finish_delete(["alpha"])
        assert catalog.document("alpha") is None and catalog.chunk_ids("alpha") == set()
        assert catalog.unfinished() == [] and catalog.document_count() == 1
        assert catalog.lexical_version() > version

    def test_files_are_recorded_and_forgotten(self, catalog: DocumentCatalog) -> None:
        record = FileRecord(path="/corpus/a.jsonl", sha256="f" * 64, size=120, doc_ids=("a-1", "a-2"))
        catalog.record_files([record])
        assert catalog.file("/corpus/a.jsonl") == record and catalog.files() == [record]
        assert catalog.file("/corpus/other.txt") is None
        catalog.forget_files(["/corpus/a.jsonl"])
        assert catalog.files() == [] and catalog.file("/corpus/a.jsonl") is None

    def test_what_is_written_outlives_the_object(
        self, catalog: DocumentCatalog, make_catalog: MakeCatalog
    ) -> None:
        doc = document("alpha", "A.")
        catalog.begin_documents([doc], [None])
        catalog.complete_documents([doc], [None])
        again = make_catalog()
        assert again.document_count() == 1 and again.lexical_version() == catalog.lexical_version()
