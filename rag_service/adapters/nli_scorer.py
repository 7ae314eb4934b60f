"""Citation support from a local NLI cross-encoder directory (premise = cited passages, hypothesis = sentence)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.adapters.cross_encoder import load_cross_encoder
from rag_service.domain.answers import SupportResult
from rag_service.domain.errors import ConfigurationError
from rag_service.domain.protocols import SupportClaim
from rag_service.domain.text import strip_markers


class NliSupportScorer:
    """Entailment probability from a sentence-transformers CrossEncoder NLI model, read from local files only.

    The model's ``id2label`` must name an entailment class; with a single output the sigmoid is taken.
    """

    name = "nli"

    def __init__(self, model_dir: str, device: str = "cpu", batch_size: int = 16) -> None:
        self._dir = Path(model_dir)
        self._device = device
        self._batch = batch_size
        self._model: Any = None
        self._entail: int | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        """The model directory's name."""
        return self._dir.name

    def warm_up(self) -> None:
        """Load the model and find its entailment class."""
        with self._lock:
            if self._model is not None:
                return
            model = load_cross_encoder(self._dir, self._device, "NLI")
            labels = {int(k): str(v).lower() for k, v in model.model.config.id2label.items()}
            if len(labels) > 1:
                found = [i for i, name in labels.items() if name.startswith("entail")]
                if not found:
                    raise ConfigurationError(
                        f"{self._dir}: no 'entailment' label in {sorted(labels.values())}"
                    )
                self._entail = found[0]
            self._model = model

    def score(self, claims: Sequence[SupportClaim]) -> list[SupportResult]:
        """Entailment probability of each sentence given its cited passages."""
        self.warm_up()
        pairs = [(" ".join(c.passages), strip_markers(c.text)) for c in claims]
        todo = [i for i, c in enumerate(claims) if c.passages]
        out = [SupportResult(0.0, None, ("no cited evidence",)) for _ in claims]
        if not todo:
            return out
        raw = np.asarray(
            self._model.predict([pairs[i] for i in todo], batch_size=self._batch, show_progress_bar=False),
            dtype=np.float64,
        )
        if raw.ndim == 1 or self._entail is None:
            probs = 1.0 / (1.0 + np.exp(-raw.reshape(len(todo), -1)[:, -1]))
        else:
            exp = np.exp(raw - raw.max(axis=1, keepdims=True))
            probs = (exp / exp.sum(axis=1, keepdims=True))[:, self._entail]
        for i, p in zip(todo, probs, strict=True):
            out[i] = SupportResult(
                round(float(p), 4), None, () if p >= 0.5 else ("the model does not find it entailed",)
            )
        return out
