"""What every VectorStore must do: writes by id, cosine search best first, the filter rules, fetch, delete."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from rag_service.domain.documents import Chunk, DocumentMeta
from rag_service.domain.errors import IndexMismatchError
from rag_service.domain.protocols import Vectors, VectorStore
from rag_service.domain.retrieval import SearchFilters

MakeStore = Callable[[], VectorStore]
DIM = 8

GUIDE = DocumentMeta(
    doc_id="guide-a",
    title="Sepsis guideline",
    source="a.md",
    doc_type="guideline",
    organisation="WHO",
    year=2020,
    series_id="sepsis",
    extra={"ward": "icu"},
)
PAPER = DocumentMeta(
    doc_id="paper-b",
    title="Warfarin trial",
    source="b.pdf",
    doc_type="literature",
    journal="NEJM",
    year=2015,
    pmid="123",
)
PROTOCOL = DocumentMeta(
    doc_id="protocol-c", title="Local protocol", source="c.txt", doc_type="protocol", year=2023
)


def chunk(meta: DocumentMeta, n: int, text: str, page: int | None = None) -> Chunk:
    return Chunk(f"{meta.doc_id}#{n}", meta.doc_id, n, text, (meta.title, f"part {n}"), page)


def unit(*weights: tuple[int, float]) -> Vectors:
    row = np.zeros(DIM, dtype=np.float32)
    for i, w in weights:
        row[i] = w
    return row / np.linalg.norm(row)


A0 = chunk(GUIDE, 0, "Give 30 mL/kg of crystalloid.")
A1 = chunk(GUIDE, 1, "Start norepinephrine for a low MAP.")
B0 = chunk(PAPER, 0, "Genotype-guided dosing did not help.", page=3)
C0 = chunk(PROTOCOL, 0, "Our ward gives a fluid bolus.")
DOCS = [(GUIDE, [A0, A1]), (PAPER, [B0]), (PROTOCOL, [C0])]
# Against the query e0: A0 1.0, C0 0.89, A1 0.71, B0 0.0.
VECTORS = np.stack([unit((0, 1)), unit((0, 1), (1, 1)), unit((2, 1)), unit((0, 1), (3, 0.5))])
QUERY = unit((0, 1))


def identity(store: VectorStore, model: str = "contract-model") -> dict[str, str | int]:
    return {"collection": store.collection_name, "embedding_model": model, "chunk_tokens": "200"}


class VectorStoreContract:
    """Mix into a test class that provides ``make_store``: store objects on one fresh, empty location."""

    @pytest.fixture
    def make_store(self) -> MakeStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, make_store: MakeStore) -> VectorStore:
        store = make_store()
        store.open(identity(store))
        return store

    @pytest.fixture
    def filled(self, store: VectorStore) -> VectorStore:
        store.upsert(DOCS, VECTORS)
        return store

    def test_a_new_store_is_empty_and_answers(self, store: VectorStore) -> None:
        assert store.collection_name
        assert store.ping() and store.count() == 0 and store.ids() == set()
        assert store.query(QUERY, 5) == []

    def test_upsert_counts_and_lists_every_id(self, filled: VectorStore) -> None:
        assert filled.count() == 4
        assert filled.ids() == {A0.chunk_id, A1.chunk_id, B0.chunk_id, C0.chunk_id}
        assert filled.existing([A0.chunk_id, "nope#0", C0.chunk_id]) == {A0.chunk_id, C0.chunk_id}

    def test_upsert_of_an_existing_id_replaces_it(self, filled: VectorStore) -> None:
        changed = Chunk(A0.chunk_id, A0.doc_id, 0, "Give 20 mL/kg.", A0.heading_path, None)
        filled.upsert([(GUIDE, [changed])], VECTORS[:1])
        assert filled.count() == 4
        assert [h.text for h in filled.fetch([A0.chunk_id])] == ["Give 20 mL/kg."]

    def test_a_row_count_mismatch_is_refused(self, store: VectorStore) -> None:
        with pytest.raises(ValueError, match="vectors"):
            store.upsert(DOCS, VECTORS[:2])

    def test_query_is_best_first_with_cosine_scores(self, filled: VectorStore) -> None:
        hits = filled.query(QUERY, 10)
        assert [h.chunk_id for h in hits] == [A0.chunk_id, C0.chunk_id, A1.chunk_id, B0.chunk_id]
        assert [h.score for h in hits] == pytest.approx([1.0, 0.8944, 0.7071, 0.0], abs=1e-3)
        assert [h.chunk_id for h in filled.query(QUERY, 2)] == [A0.chunk_id, C0.chunk_id]

    def test_hits_carry_text_and_provenance(self, filled: VectorStore) -> None:
        by_id = {h.chunk_id: h for h in filled.query(QUERY, 10)}
        a0, b0 = by_id[A0.chunk_id].metadata, by_id[B0.chunk_id].metadata
        assert by_id[A0.chunk_id].text == A0.text
        assert (a0["doc_id"], a0["title"], a0["doc_type"], a0["heading"]) == (
            "guide-a",
            "Sepsis guideline",
            "guideline",
            "Sepsis guideline > part 0",
        )
        assert (a0["organisation"], a0["year"], a0["x_ward"]) == ("WHO", 2020, "icu")
        assert (b0["page"], b0["journal"], b0["pmid"]) == (3, "NEJM", "123")
        assert "page" not in a0

    @pytest.mark.parametrize(
        ("filters", "excluded", "docs"),
        [
            (None, (), {"guide-a", "paper-b", "protocol-c"}),
            (SearchFilters(doc_types=["literature"]), (), {"paper-b"}),
            (SearchFilters(organisations=["WHO"]), (), {"guide-a"}),
            (SearchFilters(year_min=2016), (), {"guide-a", "protocol-c"}),
            (SearchFilters(year_min=2015, year_max=2020), (), {"guide-a", "paper-b"}),
            (SearchFilters(doc_ids=["paper-b", "protocol-c"]), (), {"paper-b", "protocol-c"}),
            (SearchFilters(exclude_doc_ids=["guide-a"]), (), {"paper-b", "protocol-c"}),
            (SearchFilters(metadata={"ward": "icu"}), (), {"guide-a"}),
            (SearchFilters(metadata={"journal": "NEJM", "pmid": "123"}), (), {"paper-b"}),
            (SearchFilters(metadata={"year": 2023}), (), {"protocol-c"}),
            (None, ("guide-a",), {"paper-b", "protocol-c"}),
            (SearchFilters(doc_types=["guideline", "protocol"]), ("protocol-c",), {"guide-a"}),
        ],
    )
    def test_filters_and_exclusions_choose_the_documents(
        self, filled: VectorStore, filters: SearchFilters | None, excluded: tuple[str, ...], docs: set[str]
    ) -> None:
        hits = filled.query(QUERY, 10, filters=filters, excluded=excluded)
        assert {h.metadata["doc_id"] for h in hits} == docs
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)

    def test_fetch_returns_vectors_and_skips_unknown_ids(self, filled: VectorStore) -> None:
        hits = filled.fetch([B0.chunk_id, "nope#0"])
        assert [h.chunk_id for h in hits] == [B0.chunk_id]
        assert hits[0].vector is not None and np.allclose(hits[0].vector, VECTORS[2], atol=1e-6)
        assert hits[0].metadata["doc_id"] == "paper-b" and hits[0].text == B0.text
        assert filled.fetch([]) == []

    def test_delete_removes_and_ignores_unknown_ids(self, filled: VectorStore) -> None:
        filled.delete([A1.chunk_id, "nope#0"])
        assert filled.count() == 3 and A1.chunk_id not in filled.ids()
        assert A1.chunk_id not in {h.chunk_id for h in filled.query(QUERY, 10)}

    def test_writes_outlive_the_object_and_another_model_is_refused(
        self, filled: VectorStore, make_store: MakeStore
    ) -> None:
        again = make_store()
        again.open(identity(again))
        assert again.count() == 4
        other = make_store()
        with pytest.raises(IndexMismatchError, match="embedding_model"):
            other.open(identity(other, model="another-model"))
