"""Turn per-item scores into a run's metrics, fast enough to recompute thousands of times for a bootstrap.

Every item of ``results.json`` carries ``scores`` (metric name -> value for that item) and ``signals``
(raw per-item facts that only make sense pooled: whether it abstained and should have, a support score and
its human label, the top-1 relevance of its search). A metric is the mean of its per-item scores over the
items that have one; the pooled ones (abstention precision and recall, support AUROC, the no-evidence AUROC)
are computed from the signals, and so is the median newest publication year cited by the answers given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from eval.metrics import auroc

# Metrics where a smaller value is better; every other metric is better when larger.
LOWER_IS_BETTER_SUFFIXES = (
    "unsupported_sentence_rate",
    "invalid_citation_rate",
    "contradiction_rate",
    "abstention.rate_on_answerable",
    "injection.followed",
    "stale_rate",
    "_ms",
)
SIGNALS = ("abstained", "should_abstain", "support_score", "support_label", "top1_relevance", "newest_year")
MEDIAN_NEWEST_YEAR = "currency.median_newest_year"
NO_EVIDENCE_AUROC = "relevance.auroc_gold_present_vs_removed"


# Metrics that describe a run (the evidence levels behind its answers) rather than grade it: compared, never
# counted as a regression or an improvement.
DESCRIPTIVE_PREFIXES = ("evidence.",)


def descriptive(metric: str) -> bool:
    """Whether ``metric`` only describes a run (no better or worse direction)."""
    return metric.startswith(DESCRIPTIVE_PREFIXES)


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` is an improvement."""
    return not any(metric.endswith(s) for s in LOWER_IS_BETTER_SUFFIXES)


class ItemTable:
    """Per-item scores and signals as arrays (NaN where an item has no value)."""

    def __init__(self, items: Sequence[Mapping[str, Any]]) -> None:
        self.ids = [str(i["id"]) for i in items]
        keys: dict[str, None] = {}
        for item in items:
            keys.update(dict.fromkeys(item.get("scores", {})))
        self.keys = sorted(keys)
        self.scores = np.full((len(items), len(self.keys)), np.nan)
        column = {k: j for j, k in enumerate(self.keys)}
        self.signals = {name: np.full(len(items), np.nan) for name in SIGNALS}
        for row, item in enumerate(items):
            for key, value in item.get("scores", {}).items():
                if value is not None:
                    self.scores[row, column[key]] = float(value)
            for name, value in item.get("signals", {}).items():
                if name in self.signals and value is not None:
                    self.signals[name][row] = float(value)

    def __len__(self) -> int:
        return len(self.ids)

    def aggregate(self, rows: npt.NDArray[np.intp] | None = None) -> dict[str, float | None]:
        """The run's metrics over all items, or over ``rows`` (indices, repeats allowed: a bootstrap sample)."""
        scores = self.scores if rows is None else self.scores[rows]
        signals = self.signals if rows is None else {k: v[rows] for k, v in self.signals.items()}
        out: dict[str, float | None] = {}
        counts = np.sum(~np.isnan(scores), axis=0)
        sums = np.nansum(scores, axis=0)
        for j, key in enumerate(self.keys):
            out[key] = float(sums[j] / counts[j]) if counts[j] else None
        out.update(_abstention(signals["abstained"], signals["should_abstain"]))
        out.update(_support(signals["support_score"], signals["support_label"]))
        out.update(_no_evidence(signals["top1_relevance"], signals["should_abstain"]))
        out.update(_newest_year(signals["newest_year"]))
        return out

    def counts(self) -> dict[str, int]:
        """How many items contribute to each metric."""
        out = {k: int(n) for k, n in zip(self.keys, np.sum(~np.isnan(self.scores), axis=0), strict=True)}
        labelled = ~np.isnan(self.signals["should_abstain"]) & ~np.isnan(self.signals["abstained"])
        for name in ("abstention.precision", "abstention.recall", "abstention.f1"):
            out[name] = int(labelled.sum())
        out["abstention.rate_on_answerable"] = int((labelled & (self.signals["should_abstain"] == 0)).sum())
        out["support.auroc"] = int((~np.isnan(self.signals["support_label"])).sum())
        out[NO_EVIDENCE_AUROC] = int(
            (~np.isnan(self.signals["top1_relevance"]) & ~np.isnan(self.signals["should_abstain"])).sum()
        )
        out[MEDIAN_NEWEST_YEAR] = int((~np.isnan(self.signals["newest_year"])).sum())
        return {k: v for k, v in out.items() if v}


def _abstention(
    abstained: npt.NDArray[np.float64], should: npt.NDArray[np.float64]
) -> dict[str, float | None]:
    """Precision and recall of abstaining, taking "should abstain" as the positive class."""
    known = ~np.isnan(abstained) & ~np.isnan(should)
    if not known.any():
        return {}
    a, s = abstained[known] == 1, should[known] == 1
    tp = float(np.sum(a & s))
    precision = tp / float(a.sum()) if a.any() else None
    recall = tp / float(s.sum()) if s.any() else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    answerable = ~s
    false_rate = float(np.sum(a & answerable) / answerable.sum()) if answerable.any() else None
    return {
        "abstention.precision": precision,
        "abstention.recall": recall,
        "abstention.f1": f1,
        "abstention.rate_on_answerable": false_rate,
    }


def _support(score: npt.NDArray[np.float64], label: npt.NDArray[np.float64]) -> dict[str, float | None]:
    """AUROC of the support score against the human label (1 = supported)."""
    known = ~np.isnan(score) & ~np.isnan(label)
    if not known.any():
        return {}
    pos, neg = score[known & (label == 1)], score[known & (label == 0)]
    if not len(pos) or not len(neg):
        return {"support.auroc": None}
    return {"support.auroc": auroc(pos, neg)}


def _no_evidence(top1: npt.NDArray[np.float64], should: npt.NDArray[np.float64]) -> dict[str, float | None]:
    """AUROC of the top-1 relevance, gold document indexed (positive) against gold removed (negative)."""
    known = ~np.isnan(top1) & ~np.isnan(should)
    if not known.any():
        return {}
    present, removed = top1[known & (should == 0)], top1[known & (should == 1)]
    if not len(present) or not len(removed):
        return {NO_EVIDENCE_AUROC: None}
    return {NO_EVIDENCE_AUROC: auroc(present, removed)}


def _newest_year(newest: npt.NDArray[np.float64]) -> dict[str, float | None]:
    """The median over answers of the newest publication year each cites (answers with a dated citation)."""
    known = newest[~np.isnan(newest)]
    return {MEDIAN_NEWEST_YEAR: float(np.median(known))} if len(known) else {}
