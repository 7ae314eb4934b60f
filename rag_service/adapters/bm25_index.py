"""BM25 keyword index (bm25s) rebuilt from the catalog and persisted beside it.

bm25s indexes are static, so every change of passages rebuilds the index from the catalog (seconds for tens
of thousands of passages). The catalog's version counter is saved with the index: a stale index is detected
and rebuilt instead of silently disagreeing with the vector store.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import threading
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def _bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG on import; keep it quiet like every other library.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


log = logging.getLogger(__name__)
_LOCAL = threading.local()
# Bumped when the files an index consists of change shape; an index of another format is rebuilt.
_FORMAT = 2


def _stemmer() -> Any:
    # PyStemmer objects are not thread-safe: one per thread.
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _LOCAL.stemmer = Stemmer.Stemmer("english")
    return stemmer


def analyze_texts(texts: Sequence[str]) -> list[list[str]]:
    """Terms of each text exactly as the index sees them: lower-cased, English stop words out, stemmed."""
    tokens: list[list[str]] = _bm25s().tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return tokens


class Bm25Analyzer:
    """The :class:`~rag_service.domain.protocols.TextAnalyzer` of the BM25 index (stateless, thread-safe)."""

    def analyze_texts(self, texts: Sequence[str]) -> list[list[str]]:
        """Terms of each text exactly as :class:`Bm25Index` sees them."""
        return analyze_texts(texts)


class Bm25Index:
    """Keyword retrieval over passage texts."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._lock = threading.Lock()
        self._model: Any = None
        self._ids: list[str] = []
        self._docs: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._doc_index: dict[str, int] = {}
        self._df: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._loaded: int | None = None

    def _stamp_path(self, directory: Path | None = None) -> Path:
        return (directory or self._dir) / "stamp.json"

    def loaded_version(self) -> int | None:
        """Catalog version of the index held in memory, or None when none is loaded."""
        return self._loaded

    def _stamp(self) -> dict[str, Any] | None:
        try:
            stamp = json.loads(self._stamp_path().read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(stamp, dict) or stamp.get("format") != _FORMAT:
            return None
        if not isinstance(stamp.get("version"), int):
            return None
        return stamp

    def version(self) -> int | None:
        stamp = self._stamp()
        return None if stamp is None else int(stamp["version"])

    def built_count(self) -> int | None:
        stamp = self._stamp()
        count = None if stamp is None else stamp.get("count")
        return count if isinstance(count, int) else None

    def rebuild(self, items: Iterable[tuple[str, str, str]], version: int) -> int:
        bm25s = _bm25s()
        ids: list[str] = []
        doc_ids: list[str] = []
        texts: list[str] = []
        for cid, doc_id, text in items:
            ids.append(cid)
            doc_ids.append(doc_id)
            texts.append(text)
        tmp = self._dir.with_name(self._dir.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        model = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
            model.index(tokens, show_progress=False)
            model.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps({"chunks": ids, "docs": doc_ids}))
        self._stamp_path(tmp).write_text(
            json.dumps({"format": _FORMAT, "version": version, "count": len(ids)})
        )
        # Swap directories so a reader never sees a half-written index.
        with self._lock:
            old = self._dir.with_name(self._dir.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self._dir.exists():
                self._dir.rename(old)
            tmp.rename(self._dir)
            shutil.rmtree(old, ignore_errors=True)
            self._install(model if texts else None, ids, doc_ids, version)
        return len(ids)

    def _install(self, model: Any, ids: list[str], doc_ids: list[str], version: int | None) -> None:
        doc_index: dict[str, int] = {}
        self._docs = np.fromiter(
            (doc_index.setdefault(d, len(doc_index)) for d in doc_ids), dtype=np.int32, count=len(doc_ids)
        )
        self._doc_index = doc_index
        self._model, self._ids, self._loaded = model, ids, version
        self._df = np.diff(model.scores["indptr"]) if model is not None else np.zeros(0, dtype=np.int64)

    def load(self) -> None:
        """Load the persisted index, if any (an index of an older format counts as none)."""
        bm25s = _bm25s()
        with self._lock:
            version = self.version()
            ids_path = self._dir / "ids.json"
            if version is None or not ids_path.is_file():
                self._install(None, [], [], None)
                return
            try:
                stored = json.loads(ids_path.read_text())
                ids, doc_ids = stored["chunks"], stored["docs"]
                model = bm25s.BM25.load(str(self._dir), show_progress=False) if ids else None
                if len(ids) != len(doc_ids) or (model is not None and model.scores["num_docs"] != len(ids)):
                    raise ValueError("the passage ids do not match the index")
            except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
                # Damaged files (a crash mid-write, a disk error) count as no index: it is rebuilt from the
                # catalog by the next writer, and readiness says so meanwhile.
                log.warning("lexical index unreadable, to be rebuilt: %s", type(exc).__name__)
                self._install(None, [], [], None)
                return
            self._install(model, ids, doc_ids, version)

    def analyze(self, text: str) -> list[str]:
        return analyze_texts([text])[0]

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        with self._lock:
            model, df = self._model, self._df
        n = len(self._ids)
        out: dict[str, float] = {}
        for term in terms:
            pos = model.vocab_dict.get(term) if model is not None else None
            freq = int(df[pos]) if pos is not None and pos < len(df) else 0
            # The BM25 (Lucene) idf, always positive.
            out[term] = math.log(1.0 + (n - freq + 0.5) / (freq + 0.5))
        return out

    def search(
        self, query: str, k: int, allowed_docs: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        with self._lock:
            model, ids, docs, doc_index = self._model, self._ids, self._docs, self._doc_index
        if model is None or not ids:
            return []
        # Only terms the index knows: bm25s would otherwise map unknown ones onto an arbitrary token.
        words = [w for w in dict.fromkeys(self.analyze(query)) if w in model.vocab_dict]
        if not words:
            return []
        mask = None
        if allowed_docs is not None:
            wanted = np.fromiter((doc_index[d] for d in allowed_docs if d in doc_index), dtype=np.int32)
            if not len(wanted):
                return []
            mask = np.isin(docs, wanted).astype(np.float32)
        found, scores = model.retrieve(
            [words], k=min(k, len(ids)), show_progress=False, weight_mask=mask, n_threads=1
        )
        return [(ids[int(i)], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]
