"""Ingestion end to end: real loaders, the real embedding model and real embedded Chroma."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.report import IngestReport
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.bootstrap import Components, index_dir
from rag_service.domain.documents import ChunkedDocument
from rag_service.domain.errors import IndexMismatchError
from tests.corpora import BAD, DOCUMENTS, GOOD, GOOD_WITHOUT_PDF, write_corpus
from tests.helpers import MakeComponents, components_on, ingest

pytestmark = pytest.mark.integration


def assert_consistent(components: Components) -> None:
    check = components.index.check()
    assert check.ok, check
    assert components.store.count() == components.catalog.chunk_count()
    assert components.index.lexical_is_current()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The mixed corpus without the drug label, for tests of incremental behaviour."""
    return write_corpus(tmp_path / "corpus", pdf=False)


@dataclass(frozen=True)
class Ingested:
    components: Components
    corpus: Path
    report: IngestReport


@pytest.fixture(scope="module")
def full(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[Ingested]:
    """The whole mixed corpus, drug label included, ingested once for the tests that only read it."""
    root = tmp_path_factory.mktemp("pipeline")
    corpus = write_corpus(root / "corpus")
    c = components_on(root / "data", warm_embedder)
    c.open_index()
    yield Ingested(c, corpus, ingest(c, corpus))
    c.close()


def test_mixed_batch_ingests_good_files_and_names_each_bad_one(full: Ingested) -> None:
    c, report = full.components, full.report
    assert report.files_seen == len(GOOD) + len(BAD)
    assert report.ingested == len(GOOD)
    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert set(failed) == set(BAD)
    for name, fragment in BAD.items():
        assert fragment.lower() in failed[name].lower(), (name, failed[name])
    assert report.documents_written == DOCUMENTS
    assert report.chunks_written == c.catalog.chunk_count() > DOCUMENTS
    assert_consistent(c)


def test_provenance_reaches_every_passage(full: Ingested) -> None:
    c = full.components
    sepsis = c.catalog.document("sepsis.md")
    assert sepsis is not None and sepsis.meta.title == "Sepsis management"
    label = c.catalog.document("labels--warfarin.pdf")
    assert label is not None
    assert (label.meta.doc_type, label.meta.organisation, label.meta.year) == ("drug_label", "FDA", 2022)
    article = c.catalog.document("pmid-11111111")
    assert article is not None and article.meta.journal == "Journal of Testing" and article.meta.year == 2019

    vector = c.embedder.embed_query("how much crystalloid fluid for hypotension in sepsis")
    top = c.store.query(vector, 1)[0]
    assert top.metadata["doc_id"] == "sepsis.md"
    assert top.metadata["heading"] == "Sepsis management > Initial resuscitation > Fluids"
    assert "30 mL/kg" in top.text

    vector = c.embedder.embed_query("warfarin contraindications pregnancy bleeding")
    pages = {
        h.metadata.get("page")
        for h in c.store.query(vector, 5)
        if h.metadata["doc_id"] == "labels--warfarin.pdf"
    }
    assert pages and all(isinstance(p, int) and p >= 1 for p in pages)
    assert c.lexical.search("colchicine gout flare", 3)[0][0] in c.catalog.chunk_ids("bulk-2")


def test_reingest_of_unchanged_folder_writes_nothing(full: Ingested) -> None:
    c = full.components
    count = c.store.count()
    again = ingest(c, full.corpus)

    assert again.unchanged == len(GOOD)
    assert (again.ingested, again.chunks_written, again.documents_written) == (0, 0, 0)
    assert len(again.failed) == len(full.report.failed)  # bad files are reported every time
    assert c.store.count() == count
    assert_consistent(c)


def test_changed_file_replaces_its_passages_without_orphans(
    make_components: MakeComponents, corpus: Path
) -> None:
    c = make_components()
    c.open_index()
    ingest(c, corpus)
    before = c.catalog.chunk_ids("sepsis.md")

    md = corpus / "sepsis.md"
    md.write_text(
        md.read_text().replace("one hour", "three hours") + "\n## Source control\n\nDrain abscesses early.\n"
    )
    report = ingest(c, corpus)

    assert report.ingested == 1 and report.unchanged == len(GOOD_WITHOUT_PDF) - 1
    after = c.catalog.chunk_ids("sepsis.md")
    assert after != before and len(after) == len(before) + 1
    # Passages that did not change keep their ids (and vectors); only new ones are embedded.
    assert report.chunks_written == len(after - before) == 2
    texts = [h.text for h in c.store.query(c.embedder.embed_query("antibiotics timing septic shock"), 10)]
    assert not any("within one hour" in t for t in texts)
    assert_consistent(c)


def test_removed_record_and_pruned_file_leave_the_index(
    make_components: MakeComponents, corpus: Path
) -> None:
    c = make_components()
    c.open_index()
    ingest(c, corpus)
    asthma = c.catalog.chunk_ids("asthma.html")
    assert {cid for cid, _ in c.lexical.search("inhaled corticosteroids exacerbations", 5)} & asthma

    lines = (corpus / "bulk.jsonl").read_text().splitlines()
    (corpus / "bulk.jsonl").write_text("\n".join(lines[:2]) + "\n")
    (corpus / "asthma.html").unlink()
    report = ingest(c, corpus, prune=True)

    assert c.catalog.document("bulk-3") is None
    assert c.catalog.document("asthma.html") is None
    assert report.documents_deleted == 2 and report.files_pruned == 1
    assert not {cid for cid, _ in c.lexical.search("inhaled corticosteroids exacerbations", 5)} & asthma
    assert_consistent(c)


def test_same_text_from_two_files_is_two_documents_not_duplicates(
    make_components: MakeComponents, tmp_path: Path
) -> None:
    root = tmp_path / "dupes"
    root.mkdir()
    (root / "a.txt").write_text(
        "Aspirin\n\nGive 300 mg aspirin for suspected stroke once haemorrhage is excluded."
    )
    shutil.copy(root / "a.txt", root / "b.txt")
    c = make_components()
    c.open_index()
    ingest(c, root)
    ingest(c, root)
    assert c.catalog.document_count() == 2
    assert c.store.count() == 2
    assert_consistent(c)


def test_duplicate_document_id_in_another_file_is_refused(
    make_components: MakeComponents, tmp_path: Path
) -> None:
    root = tmp_path / "ids"
    root.mkdir()
    (root / "one.jsonl").write_text(
        json.dumps({"id": "shared-id", "title": "One", "text": "First text."}) + "\n"
    )
    (root / "two.jsonl").write_text(
        json.dumps({"id": "shared-id", "title": "Two", "text": "Second text."}) + "\n"
    )
    c = make_components()
    c.open_index()
    report = ingest(c, root)
    assert [Path(f.path).name for f in report.failed] == ["two.jsonl"]
    assert "already belongs" in report.failed[0].reason
    doc = c.catalog.document("shared-id")
    assert doc is not None and doc.meta.title == "One"


def test_interrupted_write_is_finished_by_the_next_run(
    make_components: MakeComponents, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = make_components(ingest={"batch_chunks": 4})
    c.open_index()
    calls = {"n": 0}
    real_complete = c.catalog.complete_documents

    def crash_on_second_batch(docs: Sequence[ChunkedDocument], file_paths: Sequence[str | None]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")  # as if the process died between the vector write and the commit
        real_complete(docs, file_paths)

    monkeypatch.setattr(c.catalog, "complete_documents", crash_on_second_batch)
    first = ingest(c, corpus)
    assert any("power cut" in f.reason for f in first.failed)
    assert c.catalog.unfinished(), "the batch cut off mid-write is marked, not hidden"
    listed = {r.meta.doc_id for r in c.catalog.documents() if r.status == "complete"}

    monkeypatch.undo()
    second = ingest(c, corpus)
    assert not any("power cut" in f.reason for f in second.failed)
    assert c.catalog.document_count() == DOCUMENTS - 1 and not c.catalog.unfinished()  # no drug label
    assert listed < {r.meta.doc_id for r in c.catalog.documents()}
    assert_consistent(c)


def test_collection_built_with_another_model_is_refused(make_components: MakeComponents) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    c = make_components()
    # A collection of the same name that records another model, as a copied or hand-made index would.
    path = str(c.settings.data_dir / "chroma")
    client = chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))
    client.create_collection(
        c.store.collection_name,
        embedding_function=None,
        metadata={**c.identity(), "embedding_model": "other"},
    )
    with pytest.raises(IndexMismatchError, match="embedding_model"):
        c.open_index()


def test_catalog_built_with_other_chunking_is_refused(make_components: MakeComponents, corpus: Path) -> None:
    import sqlite3

    c = make_components()
    c.open_index()
    ingest(c, corpus / "notes.txt")
    c.close()
    with sqlite3.connect(index_dir(c.settings) / "catalog.sqlite3") as db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'identity.chunk_tokens'")
    again = make_components()
    with pytest.raises(IndexMismatchError, match="chunk_tokens"):
        again.open_index()


@pytest.mark.process
def test_chroma_server_backend(
    make_components: MakeComponents, corpus: Path, chroma_server: tuple[str, int]
) -> None:
    host, port = chroma_server
    c = make_components(store={"host": host, "port": port, "collection_prefix": "srv"})
    c.open_index()
    report = ingest(c, corpus / "sepsis.md", corpus / "bulk.jsonl")
    assert report.ok and report.documents_written == 4
    again = ingest(c, corpus / "sepsis.md", corpus / "bulk.jsonl")
    assert again.unchanged == 2 and again.chunks_written == 0
    hit = c.store.query(c.embedder.embed_query("norepinephrine mean arterial pressure"), 1)[0]
    assert hit.metadata["doc_id"] == "sepsis.md"
    assert_consistent(c)


def test_file_over_the_size_limit_fails_alone(make_components: MakeComponents, full: Ingested) -> None:
    c = make_components(ingest={"max_file_mb": 0.001})
    c.open_index()
    report = ingest(c, full.corpus / "notes.txt", full.corpus / "labels" / "warfarin.pdf")
    assert [Path(f.path).name for f in report.failed] == ["warfarin.pdf"]
    assert "over the" in report.failed[0].reason
    assert c.catalog.document("notes.txt") is not None
