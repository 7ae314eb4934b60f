"""The calibrated support model: a logistic regression over interpretable features, read from a JSON file.

The file is written by ``python -m eval.fit_support`` and shipped inside the package. Besides the weights it
holds the thresholds chosen on development data and how a probability maps onto the service's score scale:
the model's "supported" threshold lands on score 0.7 and its "partial" threshold on 0.45, the defaults of
``answer.supported_threshold`` and ``answer.partial_threshold``.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rag_service.domain.errors import ConfigurationError

SCORE_SUPPORTED = 0.7
SCORE_PARTIAL = 0.45


@dataclass(frozen=True, slots=True)
class SupportModel:
    """Weights, feature order and thresholds of one fitted version."""

    version: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold_supported: float
    threshold_partial: float

    def probability(self, values: Sequence[float]) -> float:
        """The model's probability that the claim is supported."""
        z = self.intercept + sum(
            c * (v - m) / s for c, v, m, s in zip(self.coef, values, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_score(self, p: float) -> float:
        """The probability mapped monotonically onto the score scale (thresholds onto 0.45 and 0.7)."""
        knots = [
            (0.0, 0.0),
            (self.threshold_partial, SCORE_PARTIAL),
            (self.threshold_supported, SCORE_SUPPORTED),
        ]
        knots.append((1.0, 1.0))
        for (x0, y0), (x1, y1) in itertools.pairwise(knots):
            if p <= x1:
                return y0 + (y1 - y0) * ((p - x0) / (x1 - x0) if x1 > x0 else 1.0)
        return 1.0

    def to_json(self) -> dict[str, object]:
        """The fields as written to the model file."""
        return {
            "version": self.version,
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold_supported": self.threshold_supported,
            "threshold_partial": self.threshold_partial,
        }


def load_support_model(path: Path | None = None, expected: Sequence[str] | None = None) -> SupportModel:
    """Read a model file (default: the one shipped in the package) and check its features.

    Raises:
        ConfigurationError: The file is missing, unreadable, or made for other features.
    """
    try:
        if path is None:
            text = resources.files("rag_service").joinpath("resources/support_model.json").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
        model = SupportModel(
            version=str(raw["version"]),
            features=tuple(raw["features"]),
            mean=tuple(float(x) for x in raw["mean"]),
            scale=tuple(float(x) for x in raw["scale"]),
            coef=tuple(float(x) for x in raw["coef"]),
            intercept=float(raw["intercept"]),
            threshold_supported=float(raw["threshold_supported"]),
            threshold_partial=float(raw["threshold_partial"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"support model {path or 'shipped with the package'}: {exc}") from exc
    if expected is not None and tuple(expected) != model.features:
        raise ConfigurationError(
            f"support model {model.version} was fitted on features {model.features}, not {tuple(expected)}"
        )
    if not model.threshold_partial <= model.threshold_supported:
        raise ConfigurationError(f"support model {model.version}: partial threshold above supported")
    return model
