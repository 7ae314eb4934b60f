"""Evaluation metrics as pure functions, shared by ``rag-eval`` and every benchmark.

Retrieval ranks, AUROC, percentiles, ALCE citation support, answer token overlap and yes/no decisions.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt


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


def auroc(positives: Sequence[float] | npt.ArrayLike, negatives: Sequence[float] | npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance a random positive scores above a random negative (ties half).

    Rank-sum (Mann-Whitney U) with average ranks for ties; NaN when either side is empty.
    """
    pos = np.asarray(positives, dtype=float)
    neg = np.asarray(negatives, dtype=float)
    if not pos.size or not neg.size:
        return float("nan")
    values = np.concatenate([pos, neg])
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    # The average 1-based rank of each distinct value: ties share the mean of the ranks they span.
    ends = np.cumsum(counts)
    average_rank = ends - (counts - 1) / 2
    rank_sum = float(average_rank[inverse[: pos.size]].sum())
    return (rank_sum - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def citation_support(joint: bool, alone: Sequence[bool], without: Sequence[bool]) -> tuple[float, int]:
    """ALCE-style citation recall of one sentence and how many of its citations are precise.

    Args:
        joint: The union of the sentence's cited passages supports it.
        alone: For each citation, whether that passage alone supports the sentence.
        without: For each citation, whether the other cited passages still support it without this one.

    Returns:
        (recall, precise): recall is 1.0 when the citations jointly support the sentence (0.0 otherwise,
        and for a sentence with no citation); a citation is precise when the sentence is supported and the
        citation either supports it alone or is needed (the rest do not support it without it).
    """
    if not alone or not joint:
        return 0.0, 0
    precise = sum(1 for a, w in zip(alone, without, strict=True) if a or not w)
    return 1.0, precise


_WORD = re.compile(r"[a-z0-9]+")


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style bag-of-tokens F1 between two texts (lower-cased alphanumeric tokens)."""
    pred, ref = _WORD.findall(prediction.lower()), _WORD.findall(reference.lower())
    if not pred or not ref:
        return 0.0
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


_DECISION = re.compile(r"^\W*(yes|no|maybe)\b", re.IGNORECASE)
_HEDGE = re.compile(r"\b(unclear|uncertain|inconclusive|mixed|may or may not|insufficient|not clear)\b", re.I)


def parse_decision(answer: str) -> str | None:
    """The yes/no/maybe decision an answer opens with ("Yes, ...", "No. ..."), or "maybe" when it hedges.

    Returns None when the answer takes no recognisable position.
    """
    opening = _DECISION.match(answer)
    if opening:
        return opening.group(1).lower()
    return "maybe" if _HEDGE.search(answer[:300]) else None
