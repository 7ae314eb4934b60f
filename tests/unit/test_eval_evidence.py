"""rag-eval's distribution of evidence levels behind answers, and that compare never gates on it."""

from __future__ import annotations

from typing import Any

import pytest

from eval.suite.compare import compare, format_table
from eval.suite.results import finish
from eval.suite.scoring import evidence_scores

pytestmark = pytest.mark.unit


def cite(strength: str, certainty: str, design: str) -> dict[str, Any]:
    return {"number": 1, "evidence": {"strength": strength, "certainty": certainty, "study_design": design}}


def test_evidence_scores_are_the_share_of_citations_at_each_level() -> None:
    answer = {
        "abstained": False,
        "citations": [
            cite("strong", "high", "guideline"),
            cite("unknown", "unknown", "randomised_trial"),
            cite("unknown", "unknown", "randomised_trial"),
            cite("weak", "low", "guideline"),
        ],
    }
    scores = evidence_scores(answer)
    assert scores["evidence.study_design.randomised_trial"] == 0.5
    assert scores["evidence.study_design.guideline"] == 0.5
    assert scores["evidence.study_design.cohort"] == 0.0
    assert scores["evidence.strength.strong"] == scores["evidence.strength.weak"] == 0.25
    assert scores["evidence.strength.unknown"] == 0.5
    assert sum(v for k, v in scores.items() if k.startswith("evidence.certainty.")) == pytest.approx(1.0)


def test_no_value_without_evidence_or_on_abstention() -> None:
    assert evidence_scores({"abstained": True, "citations": [cite("strong", "high", "guideline")]}) == {}
    assert evidence_scores({"abstained": False, "citations": [{"number": 1}]}) == {}
    assert evidence_scores({"abstained": False, "citations": []}) == {}


def run(share: float) -> dict[str, Any]:
    items = [
        {
            "id": f"{i}#answerable",
            "scores": {"evidence.study_design.guideline": share if i % 2 else share / 2},
            "signals": {"abstained": 0, "should_abstain": 0},
        }
        for i in range(40)
    ]
    return finish({"dataset": "pubmedqa", "corpus_fingerprint": "fp", "settings_hash": "h"}, items)


def test_compare_reports_a_shift_in_evidence_levels_without_calling_it_a_regression() -> None:
    c = compare(run(0.8), run(0.2), resamples=200)
    (delta,) = [d for d in c.deltas if d.metric == "evidence.study_design.guideline"]
    assert delta.delta is not None and delta.delta < -0.2 and delta.significant
    assert not delta.regression
    (row,) = [line for line in format_table(c).splitlines() if "evidence.study_design.guideline" in line]
    assert "REGRESSION" not in row and "improved" not in row
