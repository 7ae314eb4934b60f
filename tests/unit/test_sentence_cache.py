"""The SQLite sentence-vector cache: exact vectors back, per-document records, orphans dropped."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from rag_service.adapters.sqlite_sentence_cache import SqliteSentenceCache

pytestmark = pytest.mark.unit


def vec(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(384).astype(np.float32)


def test_vectors_come_back_bit_for_bit_and_unknown_keys_are_absent(tmp_path: Path) -> None:
    cache = SqliteSentenceCache(tmp_path / "v.sqlite3")
    cache.put_many([("a", vec(1)), ("b", vec(2))], doc_id="d1")
    got = cache.get_many(["a", "b", "zzz", "a"])
    assert set(got) == {"a", "b"}
    assert np.array_equal(got["a"], vec(1)) and got["a"].dtype == np.float32
    assert cache.count() == 2


def test_forget_keeps_vectors_another_document_still_uses(tmp_path: Path) -> None:
    cache = SqliteSentenceCache(tmp_path / "v.sqlite3")
    cache.put_many([("shared", vec(1)), ("only1", vec(2))], doc_id="d1")
    cache.put_many([("shared", vec(1)), ("only2", vec(3))], doc_id="d2")
    cache.put_many([("lazy", vec(4))])  # filled while answering, no document recorded
    assert cache.forget(["d1"]) == 2  # only1, and the unrecorded one
    assert set(cache.get_many(["shared", "only1", "only2", "lazy"])) == {"shared", "only2"}
    assert cache.forget(["d2"]) == 2 and cache.count() == 0
    assert cache.forget([]) == 0


def test_a_damaged_file_is_a_miss_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    path.write_bytes(b"not a database" * 100)
    cache = SqliteSentenceCache(path)
    with pytest.raises(sqlite3.DatabaseError):
        cache.count()
    assert cache.get_many(["a"]) == {}
    cache.put_many([("a", vec(1))])  # logged and skipped
