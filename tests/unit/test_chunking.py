"""Chunking keeps structure and fits the encoder."""

from __future__ import annotations

import pytest

from ingest.chunking import Chunker, embedding_text
from rag_service.adapters.embedder import HfTokenCounter
from rag_service.domain.documents import EMBEDDED_TEXT_LAYOUT, DocumentMeta, Section, SourceDocument
from rag_service.settings import ChunkingSettings, EmbeddingSettings

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def tokens() -> HfTokenCounter:
    return HfTokenCounter(EmbeddingSettings())


def doc(*sections: Section, **meta: object) -> SourceDocument:
    base = {"doc_id": "d1", "title": "Guide", "source": "x.md"}
    return SourceDocument(DocumentMeta(**{**base, **meta}), list(sections))


LONG = " ".join(f"Sentence {i} says the dose is {i} mg twice daily for adults." for i in range(120))


def test_long_section_is_split_within_the_token_budget_with_overlap(tokens: HfTokenCounter) -> None:
    chunker = Chunker(ChunkingSettings(chunk_tokens=64, overlap_tokens=16), tokens)
    chunks = chunker.chunk(doc(Section(("Guide", "Dosing"), LONG, page=3))).chunks
    assert len(chunks) > 10
    assert all(tokens.count(c.text) <= 64 for c in chunks)
    assert all(c.heading == "Guide > Dosing" and c.page == 3 for c in chunks)
    # Consecutive windows share text (the overlap), so a fact cut at a boundary is whole in one of them.
    assert any(chunks[i].text.split()[-1] in chunks[i + 1].text for i in range(len(chunks) - 1))
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_sections_never_merge_and_short_ones_stay_whole(tokens: HfTokenCounter) -> None:
    chunker = Chunker(ChunkingSettings(), tokens)
    chunks = chunker.chunk(
        doc(Section(("Guide", "A"), "Short one."), Section(("Guide", "B"), "Short two."))
    ).chunks
    assert [(c.heading, c.text) for c in chunks] == [("Guide > A", "Short one."), ("Guide > B", "Short two.")]


def test_ids_are_stable_and_change_with_content_or_metadata(tokens: HfTokenCounter) -> None:
    chunker = Chunker(ChunkingSettings(), tokens)
    section = Section(("Guide",), "Give 5 mg.")
    a = chunker.chunk(doc(section)).chunks[0].chunk_id
    assert chunker.chunk(doc(section)).chunks[0].chunk_id == a
    assert chunker.chunk(doc(Section(("Guide",), "Give 50 mg."))).chunks[0].chunk_id != a
    assert chunker.chunk(doc(section, year=2020)).chunks[0].chunk_id != a
    assert chunker.chunk(doc(section, doc_id="d2")).chunks[0].chunk_id != a


def test_repeated_identical_passages_get_distinct_ids(tokens: HfTokenCounter) -> None:
    chunker = Chunker(ChunkingSettings(), tokens)
    same = Section(("Guide",), "Repeat.")
    chunks = chunker.chunk(doc(same, same)).chunks
    assert len({c.chunk_id for c in chunks}) == 2


def test_embedding_text_adds_title_and_headings_once(tokens: HfTokenCounter) -> None:
    chunker = Chunker(ChunkingSettings(), tokens)
    chunk = chunker.chunk(doc(Section(("Guide", "Fluids"), "Give 30 mL/kg."))).chunks[0]
    # The golden output and its layout version move together: a new layout must get a new version, which
    # is part of the collection name.
    assert (EMBEDDED_TEXT_LAYOUT, embedding_text("Guide", chunk)) == ("t1", "Guide > Fluids\nGive 30 mL/kg.")
    assert chunk.text == "Give 30 mL/kg."
