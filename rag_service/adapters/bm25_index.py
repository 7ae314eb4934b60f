"""BM25 keyword index (bm25s) rebuilt from the catalog and persisted beside it.

bm25s indexes are static, so every change of passages rebuilds the index from the catalog (seconds for tens
of thousands of passages). The catalog's version counter is saved with the index: a stale index is detected
and rebuilt instead of silently disagreeing with the vector store.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG on import; keep it quiet like every other library.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


class Bm25Index:
    """Keyword retrieval over passage texts."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._lock = threading.Lock()
        self._model: Any = None
        self._ids: list[str] = []
        self._loaded: int | None = None

    def _stamp_path(self, directory: Path | None = None) -> Path:
        return (directory or self._dir) / "stamp.json"

    def loaded_version(self) -> int | None:
        """Catalog version of the index held in memory, or None when none is loaded."""
        return self._loaded

    def version(self) -> int | None:
        try:
            return int(json.loads(self._stamp_path().read_text())["version"])
        except (OSError, ValueError, KeyError):
            return None

    def rebuild(self, items: Iterable[tuple[str, str]], version: int) -> int:
        bm25s = _bm25s()
        ids: list[str] = []
        texts: list[str] = []
        for cid, text in items:
            ids.append(cid)
            texts.append(text)
        tmp = self._dir.with_name(self._dir.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        model = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
            model.index(tokens, show_progress=False)
            model.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps(ids))
        self._stamp_path(tmp).write_text(json.dumps({"version": version, "count": len(ids)}))
        # Swap directories so a reader never sees a half-written index.
        with self._lock:
            old = self._dir.with_name(self._dir.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self._dir.exists():
                self._dir.rename(old)
            tmp.rename(self._dir)
            shutil.rmtree(old, ignore_errors=True)
            self._model = model if texts else None
            self._ids = ids
            self._loaded = version
        return len(ids)

    def load(self) -> None:
        """Load the persisted index, if any."""
        bm25s = _bm25s()
        with self._lock:
            ids_path = self._dir / "ids.json"
            if not ids_path.is_file():
                self._model, self._ids, self._loaded = None, [], None
                return
            self._ids = json.loads(ids_path.read_text())
            self._model = bm25s.BM25.load(str(self._dir), show_progress=False) if self._ids else None
            self._loaded = self.version()

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        bm25s = _bm25s()
        with self._lock:
            model, ids = self._model, self._ids
        if model is None or not ids:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), show_progress=False)
        if not tokens.vocab:
            return []
        # bm25s drops unknown tokens only when the query vocabulary is mapped onto the index vocabulary.
        words = [w for w in tokens.vocab if w in model.vocab_dict]
        if not words:
            return []
        docs, scores = model.retrieve([words], k=min(k, len(ids)), show_progress=False)
        return [(ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]
