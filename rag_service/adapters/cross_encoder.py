"""A local sentence-transformers CrossEncoder as reranker, for users who have such a model directory."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.domain.errors import ConfigurationError
from rag_service.domain.protocols import Vectors
from rag_service.domain.retrieval import Candidate


def load_cross_encoder(model_dir: Path, device: str, kind: str) -> Any:
    """A sentence-transformers CrossEncoder from a local directory (never from a hub)."""
    if not (model_dir / "config.json").is_file():
        raise ConfigurationError(f"{model_dir} is not a {kind} model directory (no config.json)")
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(model_dir), device=device, local_files_only=True)


class CrossEncoderReranker:
    """Scores (question, passage) pairs with a cross-encoder read from a local directory only."""

    name = "cross_encoder"

    def __init__(self, model_dir: str, device: str = "cpu", batch_size: int = 16) -> None:
        self._dir = Path(model_dir)
        self._device = device
        self._batch = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model (never from a hub)."""
        with self._lock:
            if self._model is not None:
                return
            self._model = load_cross_encoder(self._dir, self._device, "cross-encoder")

    def score(self, query: str, query_vector: Vectors, candidates: Sequence[Candidate]) -> list[float]:
        if not candidates:
            return []
        self.warm_up()
        raw = self._model.predict(
            [(query, c.text) for c in candidates], batch_size=self._batch, show_progress_bar=False
        )
        values = np.asarray(raw, dtype=np.float64).reshape(len(candidates), -1)[:, -1]
        if values.min() < 0.0 or values.max() > 1.0:
            values = 1.0 / (1.0 + np.exp(-values))  # logits: map onto [0, 1] like the other rerankers
        return [float(v) for v in values]
