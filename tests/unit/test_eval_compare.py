"""``rag-eval compare`` on two hand-made runs: deltas, paired bootstrap CIs, thresholds and the exit code."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from eval.suite.compare import Comparison, MetricDelta, add_arguments, compare, format_table, main
from eval.suite.results import finish, write

pytestmark = pytest.mark.unit

N = 60
HIT = "retrieval.pipeline.hit@1"
RECALL = "answer.citation_recall"
UNSUPPORTED = "answer.unsupported_sentence_rate"
PRECISION = "abstention.precision"
LATENCY = "latency.ask_ms"


@dataclass(frozen=True)
class Spec:
    """How a synthetic run scores."""

    hits: int
    recall: float
    unsupported: float
    false_abstentions: int
    ms: float


BASE = Spec(hits=54, recall=0.6, unsupported=0.1, false_abstentions=0, ms=100.0)
WORSE = Spec(hits=42, recall=0.8, unsupported=0.2, false_abstentions=10, ms=110.0)


def make_run(spec: Spec, dataset: str = "pubmedqa") -> dict[str, Any]:
    """A run of N items: the first ``hits`` hit at 1; items 40+ should abstain and do."""
    items: list[dict[str, Any]] = []
    for i in range(N):
        should = i >= 40
        abstained = should or i < spec.false_abstentions
        items.append(
            {
                "id": f"{i}#answerable",
                "scores": {
                    HIT: 1.0 if i < spec.hits else 0.0,
                    # Varies per item so that the bootstrap has something to resample.
                    RECALL: spec.recall + (0.1 if i % 2 else -0.1),
                    UNSUPPORTED: spec.unsupported + (0.05 if i % 3 == 0 else 0.0),
                    LATENCY: spec.ms + i % 5,
                },
                "signals": {"abstained": int(abstained), "should_abstain": int(should)},
            }
        )
    meta = {"dataset": dataset, "corpus_fingerprint": "fp1", "settings_hash": f"h-{spec}"}
    return finish(meta, items)


def by_metric(c: Comparison) -> dict[str, MetricDelta]:
    return {d.metric: d for d in c.deltas}


@pytest.fixture(scope="module")
def regressed() -> Comparison:
    return compare(make_run(BASE), make_run(WORSE), resamples=500)


def test_deltas_equal_the_hand_computed_values(regressed: Comparison) -> None:
    d = by_metric(regressed)
    assert d[HIT].a == pytest.approx(0.9) and d[HIT].b == pytest.approx(0.7)
    assert d[HIT].delta == pytest.approx(-0.2)
    assert d[RECALL].delta == pytest.approx(0.2)
    assert d[UNSUPPORTED].delta == pytest.approx(0.1)
    # Pooled from the signals: A abstains only where it should (1.0), B also on 10 answerable ones (20/30).
    assert d[PRECISION].a == pytest.approx(1.0) and d[PRECISION].b == pytest.approx(20 / 30)
    assert d[PRECISION].delta == pytest.approx(20 / 30 - 1)
    assert regressed.paired_items == N and regressed.only_a == regressed.only_b == 0


def test_ci_contains_the_delta_and_excludes_zero_for_a_large_change(regressed: Comparison) -> None:
    for metric in (HIT, RECALL, UNSUPPORTED, PRECISION):
        d = by_metric(regressed)[metric]
        assert d.ci_low is not None and d.ci_high is not None and d.delta is not None
        assert d.ci_low <= d.delta <= d.ci_high
        assert d.significant and (d.ci_high < 0 or d.ci_low > 0)


def test_regressions_follow_the_direction_of_each_metric(regressed: Comparison) -> None:
    d = by_metric(regressed)
    assert d[HIT].regression and d[PRECISION].regression
    assert not d[RECALL].regression
    assert not d[UNSUPPORTED].higher_is_better and d[UNSUPPORTED].regression
    # Latency: +10 % is within the default 20 % of A's value.
    assert not d[LATENCY].regression and d[LATENCY].delta == pytest.approx(10.0)
    table = format_table(regressed)
    assert "REGRESSION" in table and "improved" in table and f"{N} paired items" in table


def test_latency_threshold_is_relative_to_a() -> None:
    c = compare(make_run(BASE), make_run(replace(BASE, ms=130.0)), resamples=50)
    assert by_metric(c)[LATENCY].regression
    c = compare(make_run(BASE), make_run(replace(BASE, ms=130.0)), thresholds={"*_ms": 0.5}, resamples=50)
    assert not by_metric(c)[LATENCY].regression


@pytest.mark.parametrize(
    ("thresholds", "regressed_hit"),
    [
        ({HIT: 0.25}, False),
        ({"retrieval.": 0.25}, False),
        ({"retrieval.*.hit@1": 0.25}, False),
        ({"retrieval.": 0.25, HIT: 0.1}, True),  # the exact name beats the prefix
        ({"retrieval.": 0.1, "retrieval.*.hit@1": 0.25}, False),  # the longer pattern beats the shorter
    ],
)
def test_per_metric_threshold_overrides_the_default(
    thresholds: dict[str, float], regressed_hit: bool
) -> None:
    c = compare(make_run(BASE), make_run(WORSE), thresholds=thresholds, resamples=50)
    d = by_metric(c)
    assert d[HIT].regression is regressed_hit
    assert d[UNSUPPORTED].regression  # untouched: still on the default


def test_require_significance_needs_a_ci_that_excludes_zero() -> None:
    a = make_run(BASE)
    b = make_run(replace(BASE, hits=53))  # one item fewer: -0.0167, over a 0.01 threshold but not significant
    assert by_metric(compare(a, b, default_threshold=0.01, resamples=300))[HIT].regression
    c = compare(a, b, default_threshold=0.01, resamples=300, require_significance=True)
    assert not by_metric(c)[HIT].regression


def test_identical_runs_give_zero_deltas_and_no_regression() -> None:
    run = make_run(BASE)
    c = compare(run, run, resamples=100)
    assert all(d.delta == 0 and not d.regression and not d.significant for d in c.deltas)
    assert any("settings_hash" in w for w in c.warnings)


def test_metrics_in_one_run_only_and_unpaired_runs_warn() -> None:
    a, b = make_run(BASE), make_run(WORSE, dataset="bioasq")
    for item in b["items"]:
        item["id"] = "other-" + item["id"]
        item["scores"]["kqa.comprehensiveness"] = 0.5
    b = finish(b["meta"], b["items"])
    c = compare(a, b)
    d = by_metric(c)
    assert c.paired_items == 0 and c.only_a == c.only_b == N
    assert d[HIT].delta == pytest.approx(-0.2) and d[HIT].ci_low is None and d[HIT].regression
    assert d["kqa.comprehensiveness"].delta is None and not d["kqa.comprehensiveness"].regression
    text = " | ".join(c.warnings)
    assert "different datasets" in text and "no paired items" in text and "kqa.comprehensiveness" in text


def run_main(tmp_path: Path, a: dict[str, Any], b: dict[str, Any], *extra: str) -> int:
    write(a, tmp_path / "a")
    write(b, tmp_path / "b")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return main(parser.parse_args([str(tmp_path / "a"), str(tmp_path / "b"), "--resamples", "100", *extra]))


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(tmp_path, make_run(BASE), make_run(WORSE)) == 1
    assert "REGRESSION" in capsys.readouterr().out
    assert run_main(tmp_path, make_run(BASE), make_run(BASE), "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["paired_items"] == N and all(d["delta"] == 0 for d in payload["deltas"])
    assert (
        run_main(
            tmp_path,
            make_run(BASE),
            make_run(WORSE),
            "--threshold",
            "retrieval.=0.5",
            "--default-threshold",
            "1",
        )
        == 0
    )


def test_main_reports_a_missing_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(make_run(BASE), tmp_path / "a")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert main(parser.parse_args([str(tmp_path / "a"), str(tmp_path / "missing")])) == 2
    err = capsys.readouterr().err.strip()
    assert "missing" in err and "no results.json" in err and "\n" not in err
