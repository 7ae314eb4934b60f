"""rag-eval's currency figures: the share of answers flagged stale and the median newest cited year."""

from __future__ import annotations

import pytest

from eval.suite.aggregate import ItemTable, higher_is_better
from eval.suite.scoring import currency_scores

pytestmark = pytest.mark.unit


def answer(stale: bool | None, newest: int | None, abstained: bool = False) -> dict[str, object]:
    currency = {"newest_year": newest, "oldest_year": newest, "stale": stale, "stale_after_years": 10}
    return {"abstained": abstained, "currency": None if abstained else currency}


def item(n: int, a: dict[str, object]) -> dict[str, object]:
    newest = a["currency"]["newest_year"] if a["currency"] else None  # type: ignore[index]
    return {"id": n, "scores": currency_scores(a), "signals": {"newest_year": newest}}


def test_stale_share_and_median_newest_year_over_answers_given() -> None:
    answers = [answer(True, 2010), answer(False, 2020), answer(None, None), answer(False, 2024)]
    answers.append(answer(None, None, abstained=True))
    table = ItemTable([item(n, a) for n, a in enumerate(answers)])
    metrics = table.aggregate()
    # Flagged: one of the four answers given (undated "cannot tell" is not flagged; the abstention has none).
    assert metrics["currency.stale_rate"] == 0.25
    assert metrics["currency.median_newest_year"] == 2020.0
    assert table.counts()["currency.median_newest_year"] == 3
    assert not higher_is_better("currency.stale_rate") and higher_is_better("currency.median_newest_year")


def test_answers_without_currency_add_nothing() -> None:
    assert currency_scores({"abstained": False}) == {}
    assert (
        "currency.median_newest_year" not in ItemTable([{"id": 1, "scores": {}, "signals": {}}]).aggregate()
    )
