"""Evidence vectors computed at ingest: answers read them instead of re-encoding, and are unchanged by it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from ingest.cli import main as ingest_main
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.bootstrap import Components
from tests.corpora import write_corpus
from tests.helpers import MakeComponents, ingest, run_main

pytestmark = pytest.mark.integration

QUESTIONS = [
    "How much intravenous crystalloid fluid should adults with septic shock receive?",
    "What should be checked before giving intravenous furosemide?",
    "Which controller do adults with asthma need?",
    "What is the capital of France?",
]


class NoCache:
    """A cache that never holds anything: every evidence text is encoded per request, as before."""

    def get_many(self, keys: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        return {}

    def put_many(
        self, items: Sequence[tuple[str, npt.NDArray[np.float32]]], doc_id: str | None = None
    ) -> None:
        pass

    def forget(self, doc_ids: Sequence[str]) -> int:
        return 0

    def count(self) -> int:
        return 0

    def close(self) -> None:
        pass


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to encode."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.texts = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.texts += len(texts)
        return self._inner.embed_documents(texts)  # type: ignore[attr-defined, no-any-return]


def indexed(tmp_path: Path, make_components: MakeComponents, *, at_ingest: bool) -> tuple[Components, Path]:
    """Components over the small test corpus, its sentence vectors stored at ingest or left to first use."""
    corpus = write_corpus(tmp_path / "corpus", bad=False, pdf=False)
    c = make_components(ingest={"sentence_vectors": at_ingest})
    c.open_index()
    ingest(c, corpus)
    return c, corpus


def answers(c: Components) -> list[dict[str, object]]:
    service = c.answer_service(c.search_service())
    out: list[dict[str, object]] = []
    for q in QUESTIONS:
        a = service.ask(q)
        out.append(
            {
                "text": a.text,
                "abstention": a.abstention.code if a.abstention else None,
                "sentences": [(s.text, s.verdict, round(s.score, 4), s.citations) for s in a.sentences],
            }
        )
    return out


def test_answers_from_stored_vectors_equal_answers_from_fresh_ones(
    tmp_path: Path, make_components: MakeComponents
) -> None:
    c, _ = indexed(tmp_path, make_components, at_ingest=True)
    stored = c.sentence_cache.count()
    assert stored > c.catalog.chunk_count()  # passages and their sentences
    counting = CountingEmbedder(c.embedder)
    c.embedder = counting  # type: ignore[assignment]
    cached = answers(c)
    # Only questions and claims were encoded: no evidence text, and nothing new was stored.
    assert c.sentence_cache.count() == stored
    encoded_cached = counting.texts
    real_cache = c.sentence_cache
    c.sentence_cache = NoCache()
    counting.texts = 0
    fresh = answers(c)
    assert cached == fresh
    assert encoded_cached * 5 < counting.texts, (encoded_cached, counting.texts)
    c.sentence_cache = real_cache


def test_delete_drops_the_documents_vectors_and_unchanged_reingest_encodes_nothing(
    tmp_path: Path, make_components: MakeComponents
) -> None:
    c, corpus = indexed(tmp_path, make_components, at_ingest=True)
    full = c.sentence_cache.count()
    assert ingest(c, corpus).chunks_written == 0 and c.sentence_cache.count() == full
    doc = next(r.meta.doc_id for r in c.catalog.documents() if "notes" in r.meta.doc_id)
    c.index.delete([doc])
    assert 0 < c.sentence_cache.count() < full
    c.index.delete([r.meta.doc_id for r in c.catalog.documents()])
    assert c.sentence_cache.count() == 0


def test_upgrade_fills_an_index_built_without_stored_vectors(
    tmp_path: Path, make_components: MakeComponents
) -> None:
    c, _ = indexed(tmp_path, make_components, at_ingest=False)
    assert c.sentence_cache.count() == 0
    c.close()
    data = str(tmp_path / "data")
    code, out, err = run_main(ingest_main, "--upgrade", "--json", "--data-dir", data)
    assert code == 0, err
    first = json.loads(out)
    assert first["texts_encoded"] > 0 and first["vectors_after"] == first["texts_encoded"]
    code, out, _ = run_main(ingest_main, "--upgrade", "--json", "--data-dir", data)
    assert code == 0 and json.loads(out)["texts_encoded"] == 0


def test_a_repeated_query_is_encoded_once(warm_embedder: SentenceTransformerEmbedder) -> None:
    calls: list[int] = []
    original = warm_embedder.embed_documents

    def counting(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        calls.append(len(texts))
        return original(texts)

    warm_embedder.embed_documents = counting  # type: ignore[method-assign]
    try:
        first = warm_embedder.embed_query("dose of amoxicillin for otitis media in children")
        first[0, 0] = 99.0  # the caller's copy: the kept vector is not changed by it
        second = warm_embedder.embed_query("dose of amoxicillin for otitis media in children")
    finally:
        del warm_embedder.embed_documents
    assert calls == [1]
    assert second[0, 0] != 99.0 and np.isclose(np.linalg.norm(second), 1.0)
