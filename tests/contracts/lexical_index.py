"""What every LexicalIndex must do: rebuild and persist by version, keyword search best first, analysis, idf."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rag_service.domain.protocols import LexicalIndex

MakeIndex = Callable[[], LexicalIndex]
ITEMS = [
    ("c1", "d1", "Metformin and lactic acidosis in kidney disease"),
    ("c2", "d2", "Warfarin dosing by genotype"),
    ("c3", "d3", "Inhaled corticosteroids for asthma"),
    ("c4", "d2", "Warfarin bleeding risk in older adults"),
]


class LexicalIndexContract:
    """Mix into a test class that provides ``make_index``: index objects on one fresh location."""

    @pytest.fixture
    def make_index(self) -> MakeIndex:
        raise NotImplementedError

    @pytest.fixture
    def built(self, make_index: MakeIndex) -> LexicalIndex:
        index = make_index()
        assert index.rebuild(ITEMS, version=7) == len(ITEMS)
        return index

    def test_a_new_index_has_no_version_and_finds_nothing(self, make_index: MakeIndex) -> None:
        index = make_index()
        index.load()
        assert index.version() is None and index.loaded_version() is None
        assert index.search("warfarin", 5) == []

    def test_rebuild_records_the_catalog_version(self, built: LexicalIndex) -> None:
        assert built.version() == 7 and built.loaded_version() == 7

    def test_search_is_best_first_and_limited_to_k(self, built: LexicalIndex) -> None:
        hits = built.search("warfarin genotype dosing", 10)
        assert hits[0][0] == "c2" and {cid for cid, _ in hits} == {"c2", "c4"}
        scores = [s for _, s in hits]
        assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
        assert len(built.search("warfarin", 1)) == 1

    def test_allowed_documents_restrict_the_results(self, built: LexicalIndex) -> None:
        assert {cid for cid, _ in built.search("warfarin", 10, allowed_docs={"d2"})} == {"c2", "c4"}
        assert built.search("warfarin", 10, allowed_docs={"d1"}) == []
        assert built.search("warfarin", 10, allowed_docs=set()) == []

    def test_words_the_index_never_saw_find_nothing(self, built: LexicalIndex) -> None:
        assert built.search("zzyzx quasar", 10) == []
        assert built.search("the and of", 10) == []

    def test_a_rebuilt_index_persists_and_loads_in_another_object(
        self, built: LexicalIndex, make_index: MakeIndex
    ) -> None:
        again = make_index()
        assert again.version() == 7 and again.loaded_version() is None
        again.load()
        assert again.loaded_version() == 7
        assert again.search("asthma corticosteroids", 5) == built.search("asthma corticosteroids", 5)

    def test_a_rebuild_replaces_the_passages(self, built: LexicalIndex) -> None:
        assert built.rebuild(ITEMS[:1], version=8) == 1
        assert built.version() == 8 and built.search("warfarin", 10) == []
        assert [cid for cid, _ in built.search("metformin", 10)] == ["c1"]

    def test_analysis_lowercases_and_drops_stop_words(self, built: LexicalIndex) -> None:
        terms = built.analyze("The WARFARIN and the Bleeding")
        assert len(terms) == 2 and terms[0].startswith("warfarin") and terms[1].startswith("bleed")
        assert all(t == t.lower() for t in terms)

    def test_rarer_terms_weigh_more_and_unseen_ones_most(self, built: LexicalIndex) -> None:
        warfarin, asthma = built.analyze("warfarin")[0], built.analyze("asthma")[0]
        idf = built.idf([warfarin, asthma, "zzyzx"])
        assert 0 < idf[warfarin] < idf[asthma] <= idf["zzyzx"]
