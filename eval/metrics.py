"""Retrieval metrics: pure functions over ranked document ids and the set of relevant ones."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def first_hit_rank(ranked: Sequence[Collection[str]], gold: Collection[str]) -> int | None:
    """1-based rank of the first result that is relevant, or None.

    Each result is a collection of document ids (a passage's document plus any collapsed duplicates).
    """
    for rank, ids in enumerate(ranked, start=1):
        if any(i in gold for i in ids):
            return rank
    return None


def hit_at(ranked: Sequence[Collection[str]], gold: Collection[str], k: int) -> float:
    """1.0 when a relevant result is in the top ``k``."""
    rank = first_hit_rank(ranked, gold)
    return 1.0 if rank is not None and rank <= k else 0.0


def mrr_at(ranked: Sequence[Collection[str]], gold: Collection[str], k: int) -> float:
    """Reciprocal rank of the first relevant result within the top ``k`` (0 if none)."""
    rank = first_hit_rank(ranked, gold)
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def recall_at(ranked: Sequence[Collection[str]], gold: Collection[str], k: int) -> float:
    """Share of the relevant documents found in the top ``k`` (0 when there are none)."""
    if not gold:
        return 0.0
    found = {g for ids in ranked[:k] for g in ids if g in gold}
    return len(found) / len(set(gold))


def ndcg_at(ranked: Sequence[Collection[str]], gold: Collection[str], k: int) -> float:
    """Binary-relevance nDCG@k; a relevant document counts once, at its best rank."""
    seen: set[str] = set()
    dcg = 0.0
    for rank, ids in enumerate(ranked[:k], start=1):
        new = {i for i in ids if i in gold and i not in seen}
        if new:
            seen |= new
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(set(gold)), k) + 1))
    return dcg / ideal if ideal else 0.0


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Area under the ROC curve: the chance a random positive scores above a random negative (ties half)."""
    if not positives or not negatives:
        return float("nan")
    ordered = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    # Rank-sum (Mann-Whitney U) with average ranks for ties.
    rank_sum = 0.0
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        avg = (i + 1 + j) / 2
        rank_sum += avg * sum(1 for _, label in ordered[i:j] if label)
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
