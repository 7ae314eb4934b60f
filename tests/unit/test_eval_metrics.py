"""Retrieval metrics on hand-made rankings."""

from __future__ import annotations

import math

import pytest

from eval.metrics import auroc, hit_at, mrr_at, ndcg_at, percentile, recall_at

pytestmark = pytest.mark.unit

RANKED = [{"a"}, {"b", "c"}, {"d"}, {"e"}]


def test_hit_and_mrr_use_the_first_relevant_rank() -> None:
    assert hit_at(RANKED, {"c"}, 1) == 0.0
    assert hit_at(RANKED, {"c"}, 2) == 1.0
    assert mrr_at(RANKED, {"c", "e"}, 10) == 0.5
    assert mrr_at(RANKED, {"e"}, 3) == 0.0
    assert mrr_at(RANKED, {"z"}, 10) == 0.0


def test_recall_counts_distinct_relevant_documents() -> None:
    assert recall_at(RANKED, {"a", "d", "z"}, 3) == pytest.approx(2 / 3)
    assert recall_at(RANKED, set(), 3) == 0.0


def test_ndcg_is_one_for_a_perfect_ranking_and_discounts_late_hits() -> None:
    assert ndcg_at(RANKED, {"a"}, 10) == 1.0
    assert ndcg_at(RANKED, {"d"}, 10) == pytest.approx(1 / math.log2(4))
    assert ndcg_at([{"a"}, {"a"}], {"a", "b"}, 10) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_auroc_handles_separation_ties_and_inversion() -> None:
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5
    assert auroc([0.9, 0.3], [0.5]) == 0.5
    assert math.isnan(auroc([], [0.1]))


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
