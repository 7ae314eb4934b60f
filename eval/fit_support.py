"""Fit the calibrated support model on development data, with grouped cross-validation, and write it.

Run::

    pip install -e '.[fit]'
    python -m eval.fit_support --out rag_service/resources/support_model.json \\
        --report eval/reports/support_fit.json

Training data: the PubMedQA conclusion-vs-abstract set and the ExpertQA medical validation claims (see
:mod:`eval.support_data`); K-QA is never fitted on, so its figures are held out. Cross-validation holds out
whole abstracts (PubMedQA) and whole evidence texts (ExpertQA), five folds; thresholds are chosen inside each
fold's training part, so every reported figure is out of fold:

* ``threshold_supported``: the probability that 85% of the training part's true conclusions reach;
* ``threshold_partial``: the one that 95% reach.

Claims the number check vetoes, or that need no model (quoted verbatim, no evidence), are left out of the
fit: their score does not come from the model.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from eval.metrics import auroc
from eval.report import emit
from eval.support_data import (
    SupportItem,
    expertqa_support_items,
    grouped_folds,
    kqa_support_items,
    nearest_by_vectors,
    pubmedqa_items,
)
from rag_service.adapters.bm25_index import Bm25Analyzer
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.domain.protocols import Embedder
from rag_service.services.support import calibrated_result, decided_result
from rag_service.services.support_features import FEATURES, ClaimFeatures, FeatureExtractor
from rag_service.services.support_model import SupportModel
from rag_service.settings import Settings

TRAIN_SETS = ("pubmedqa", "expertqa")
PASS_SUPPORTED = 0.85
PASS_PARTIAL = 0.95
FOLDS = 5
Floats = npt.NDArray[np.float64]


def default_shared() -> Path:
    """``../shared/data`` beside the repository."""
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def build_sets(shared: Path, embedder: Embedder, seed: int) -> list[SupportItem]:
    """The three benchmark sets from the shared data folder."""

    def nearest(texts: list[str]) -> list[int]:
        return nearest_by_vectors(np.asarray(embedder.embed_documents(texts), dtype=np.float32))

    items = pubmedqa_items(shared / "pubmedqa" / "pqal_dev.json", random.Random(seed), nearest)  # noqa: S311
    items += expertqa_support_items(shared / "expertqa_med" / "expertqa_med_val.jsonl")
    items += kqa_support_items(shared / "kqa" / "dataset" / "NLI_medical_annotator.csv")
    return items


def featurize(items: Sequence[SupportItem], extractor: FeatureExtractor) -> list[ClaimFeatures | None]:
    """Features of each item; None where the score needs no model (see :func:`decided_result`)."""
    out: list[ClaimFeatures | None] = [None] * len(items)
    todo = [i for i, it in enumerate(items) if decided_result(it.claim, it.passages) is None]
    for start in range(0, len(todo), 128):
        chunk = todo[start : start + 128]
        for i, f in zip(
            chunk, extractor.extract([(items[i].claim, items[i].passages) for i in chunk]), strict=True
        ):
            out[i] = f
    return out


def fit_model(
    x: Floats, y: npt.NDArray[np.int64], weights: Floats, true_probs: Any, version: str
) -> SupportModel:
    """A class-balanced logistic regression on standardised features, thresholds from ``true_probs(model)``."""
    from sklearn.linear_model import LogisticRegression  # the fit extra; the service only reads the weights

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced")
    lr.fit((x - mean) / scale, y, sample_weight=weights)
    model = SupportModel(
        version=version,
        features=FEATURES,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in lr.coef_[0]),
        intercept=float(lr.intercept_[0]),
        threshold_supported=0.5,
        threshold_partial=0.5,
    )
    probs = np.asarray(true_probs(model), dtype=np.float64)
    supported = float(np.quantile(probs, 1 - PASS_SUPPORTED))
    partial = min(supported, float(np.quantile(probs, 1 - PASS_PARTIAL)))
    return dataclasses.replace(model, threshold_supported=supported, threshold_partial=partial)


class Fitter:
    """Fits on a subset of the items and scores any of them the way the service does."""

    def __init__(
        self, items: Sequence[SupportItem], feats: Sequence[ClaimFeatures | None], expertqa_weight: float
    ) -> None:
        self.items = items
        self.feats = feats
        self.weight = expertqa_weight

    def fit(self, rows: Sequence[int], version: str) -> SupportModel:
        """The model fitted on ``rows`` (vetoed and model-free claims left out)."""
        kept = [(i, f) for i in rows if (f := self.feats[i]) is not None and not f.vetoed]
        rows = [i for i, _ in kept]
        values = {i: f.values for i, f in kept}
        x = np.asarray([values[i] for i in rows], dtype=np.float64)
        y = np.asarray([self.items[i].label for i in rows], dtype=np.int64)
        w = np.asarray([self.weight if self.items[i].set == "expertqa" else 1.0 for i in rows])
        trues = [i for i in rows if self.items[i].set == "pubmedqa" and self.items[i].kind == "true"]
        return fit_model(
            x,
            y,
            w,
            lambda m: [m.probability(values[i]) for i in trues],
            version,
        )

    def score(self, model: SupportModel, i: int) -> float:
        """The service's score of item ``i`` under ``model``."""
        item = self.items[i]
        decided = decided_result(item.claim, item.passages)
        if decided is not None:
            return decided.score
        f = self.feats[i]
        assert f is not None
        return calibrated_result(model, f).score


def cross_validate(fitter: Fitter, folds: int = FOLDS, seed: int = 0) -> list[float]:
    """Out-of-fold scores of every item; K-QA (never trained on) is scored by the model of each fold in turn."""
    fold_of = grouped_folds([it.group for it in fitter.items], folds, seed)
    scores = [0.0] * len(fitter.items)
    for k in range(folds):
        train = [i for i, it in enumerate(fitter.items) if it.set in TRAIN_SETS and fold_of[i] != k]
        model = fitter.fit(train, f"cv-fold-{k}")
        for i in range(len(fitter.items)):
            if fold_of[i] == k:
                scores[i] = fitter.score(model, i)
    return scores


def summarize(
    items: Sequence[SupportItem], scores: Sequence[float], cosines: Sequence[float], threshold: float
) -> dict[str, Any]:
    """Per set: AUROC (and plain cosine's), supported claims passing the threshold, each kind's catch rate."""
    out: dict[str, Any] = {}
    by_set: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        by_set[it.set].append(i)
    for name, rows in by_set.items():
        pos = [scores[i] for i in rows if items[i].label == 1]
        neg = [scores[i] for i in rows if items[i].label == 0]
        kinds: dict[str, list[float]] = defaultdict(list)
        supported_kinds = {items[i].kind for i in rows if items[i].label == 1}
        for i in rows:
            kinds[items[i].kind].append(scores[i])
        out[name] = {
            "n_supported": len(pos),
            "n_unsupported": len(neg),
            "auroc": round(auroc(pos, neg), 4),
            "auroc_plain_cosine": round(
                auroc(
                    [cosines[i] for i in rows if items[i].label == 1],
                    [cosines[i] for i in rows if items[i].label == 0],
                ),
                4,
            ),
            "supported_pass_rate": round(sum(s >= threshold for s in pos) / len(pos), 4) if pos else None,
            "unsupported_catch_rate": round(sum(s < threshold for s in neg) / len(neg), 4) if neg else None,
            "by_kind": {
                kind: _kind_rate(v, kind in supported_kinds, threshold) for kind, v in sorted(kinds.items())
            },
        }
    return out


def _kind_rate(scores: Sequence[float], supported: bool, threshold: float) -> dict[str, Any]:
    """Pass rate of a supported kind, catch rate (not judged supported) of an unsupported one."""
    hits = sum((s >= threshold) == supported for s in scores)
    return {"n": len(scores), ("pass_rate" if supported else "catch_rate"): round(hits / len(scores), 4)}


def plain_cosines(feats: Sequence[ClaimFeatures | None]) -> list[float]:
    """The best-sentence cosine of each item (1.0 for claims quoted verbatim), the baseline to beat."""
    cos_best = FEATURES.index("cos_best")
    return [f.values[cos_best] if f is not None else 1.0 for f in feats]


def main() -> int:
    """Build the sets, cross-validate, fit on everything, write the model and the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=default_shared(), help="the shared data folder")
    parser.add_argument("--seed", type=int, default=7, help="seed of the perturbations")
    parser.add_argument("--expertqa-weight", type=float, default=3.0, help="weight of an ExpertQA claim")
    parser.add_argument("--version", default=f"support-lr-{dt.date.today():%Y%m%d}")
    parser.add_argument("--out", type=Path, default=None, help="where to write the model file")
    parser.add_argument("--report", type=Path, default=None, help="where to write the figures (JSON)")
    args = parser.parse_args()
    started = time.perf_counter()
    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.embedding, settings.model_label())
    embedder.warm_up()
    items = build_sets(args.shared, embedder, args.seed)
    feats = featurize(items, FeatureExtractor(embedder, Bm25Analyzer()))
    fitter = Fitter(items, feats, args.expertqa_weight)
    oof = cross_validate(fitter)
    threshold = settings.answer.supported_threshold
    model = fitter.fit([i for i, it in enumerate(items) if it.set in TRAIN_SETS], args.version)
    in_sample = [fitter.score(model, i) for i in range(len(items))]
    figures = {
        "model": model.to_json(),
        "trained_on": list(TRAIN_SETS),
        "seed": args.seed,
        "cross_validated": summarize(items, oof, plain_cosines(feats), threshold),
        "in_sample": summarize(items, in_sample, plain_cosines(feats), threshold),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.out:
        import json

        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(model.to_json(), indent=2) + "\n", encoding="utf-8")
    emit(figures, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
