"""``rag-eval compare RUN_A RUN_B``: metric deltas (B minus A) with paired bootstrap CIs, and a regression gate.

A is the baseline, B the candidate. Items are paired by ``id``; both runs' metrics are recomputed over the
paired items only, so the two sides see the same questions, and one bootstrap sample of item indices is
drawn for both (a paired bootstrap). A metric regresses when it moves in its bad direction by more than
its threshold; latency metrics (``*_ms``) take their threshold as a fraction of A's value.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.suite.aggregate import ItemTable, descriptive, higher_is_better
from eval.suite.results import load

LATENCY_SUFFIX = "_ms"
LATENCY_DEFAULT_THRESHOLD = 0.2  # relative: a 20 % slowdown of A's value
_EPS = 1e-9  # float slack so that a change of exactly the threshold is not a regression


@dataclass(frozen=True, slots=True)
class MetricDelta:
    """One metric in both runs: values, B - A, its bootstrap CI and the verdict."""

    metric: str
    a: float | None
    b: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    higher_is_better: bool
    regression: bool
    significant: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every metric's delta, how many items were paired, and what to be wary of."""

    deltas: list[MetricDelta]
    paired_items: int
    only_a: int
    only_b: int
    warnings: list[str]


def threshold_for(metric: str, thresholds: Mapping[str, float], default: float) -> float:
    """The threshold of ``metric``: an exact entry, else the longest matching glob or prefix, else the default.

    The default of a latency metric (``*_ms``) is :data:`LATENCY_DEFAULT_THRESHOLD`, not ``default``.
    """
    if metric in thresholds:
        return thresholds[metric]
    matches = [
        p
        for p in thresholds
        if (fnmatch.fnmatchcase(metric, p) if any(c in p for c in "*?[") else metric.startswith(p))
    ]
    if matches:
        return thresholds[max(matches, key=len)]
    return LATENCY_DEFAULT_THRESHOLD if metric.endswith(LATENCY_SUFFIX) else default


def compare(
    a: dict[str, Any],
    b: dict[str, Any],
    *,
    thresholds: Mapping[str, float] | None = None,
    default_threshold: float = 0.02,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    require_significance: bool = False,
) -> Comparison:
    """Compare two loaded ``results.json`` documents, A the baseline and B the candidate.

    Args:
        a: The baseline run.
        b: The candidate run.
        thresholds: Metric name, glob (``retrieval.*.hit@1``) or prefix (``retrieval.``) -> allowed drop;
            for ``*_ms`` metrics a fraction of A's value.
        default_threshold: Allowed drop of metrics without an entry (latency defaults to 20 %).
        resamples: Bootstrap resamples over the paired items (0 skips the CIs).
        confidence: Level of the percentile CI.
        seed: Seed of the bootstrap's ``numpy`` generator.
        require_significance: Count a regression only when the CI also excludes 0.

    Returns:
        The deltas sorted by group and name, with pairing counts and warnings.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    thresholds = thresholds or {}
    warnings = _meta_warnings(a.get("meta") or {}, b.get("meta") or {})
    items_a = {str(i["id"]): i for i in a.get("items", [])}
    items_b = {str(i["id"]): i for i in b.get("items", [])}
    paired = [k for k in items_a if k in items_b]
    only_a, only_b = len(items_a) - len(paired), len(items_b) - len(paired)
    cis: dict[str, tuple[float, float]] = {}
    if paired:
        if only_a or only_b:
            warnings.append(
                f"{only_a} items only in A, {only_b} only in B: compared on the {len(paired)} paired items"
            )
        table_a, table_b = ItemTable([items_a[k] for k in paired]), ItemTable([items_b[k] for k in paired])
        values_a, values_b = table_a.aggregate(), table_b.aggregate()
        cis = _bootstrap(table_a, table_b, values_a, values_b, resamples, confidence, seed)
        stored_only = _stored_only(a, b, values_a, values_b)
        if stored_only:
            warnings.append(
                f"{len(stored_only)} metrics not computable from items compared as stored, without CIs"
            )
    else:
        warnings.append("no paired items (no shared item ids): compared the stored metrics, without CIs")
        values_a, values_b = dict(a.get("metrics") or {}), dict(b.get("metrics") or {})
    deltas: list[MetricDelta] = []
    missing: dict[str, list[str]] = {"A": [], "B": []}
    for metric in sorted(set(values_a) | set(values_b), key=_sort_key):
        va, vb = values_a.get(metric), values_b.get(metric)
        if (va is None) != (vb is None):
            missing["A" if va is None else "B"].append(metric)
        delta = vb - va if va is not None and vb is not None else None
        low, high = cis.get(metric, (None, None))
        significant = low is not None and high is not None and (low > 0 or high < 0)
        hib = higher_is_better(metric)
        regression = False
        if delta is not None and va is not None and not descriptive(metric):
            limit = threshold_for(metric, thresholds, default_threshold)
            if metric.endswith(LATENCY_SUFFIX):
                limit *= abs(va)
            worse = delta < -limit - _EPS if hib else delta > limit + _EPS
            regression = worse and (significant or not require_significance)
        deltas.append(MetricDelta(metric, va, vb, delta, low, high, hib, regression, significant))
    for side, names in missing.items():
        if names:
            warnings.append(f"missing in {side} (not compared): {', '.join(names)}")
    return Comparison(deltas, len(paired), only_a, only_b, warnings)


def _meta_warnings(meta_a: Mapping[str, Any], meta_b: Mapping[str, Any]) -> list[str]:
    """Warnings about runs that are not like for like (or that changed nothing)."""
    out: list[str] = []
    if meta_a.get("dataset") != meta_b.get("dataset"):
        out.append(f"different datasets: A={meta_a.get('dataset')}, B={meta_b.get('dataset')}")
    fa, fb = meta_a.get("corpus_fingerprint"), meta_b.get("corpus_fingerprint")
    if fa and fb and fa != fb:
        out.append(
            f"different corpus (fingerprint A={str(fa)[:12]}, B={str(fb)[:12]}): retrieval may differ for that"
        )
    ha, hb = meta_a.get("settings_hash"), meta_b.get("settings_hash")
    if ha and ha == hb:
        out.append("same settings_hash in A and B: nothing configured changed, deltas are run-to-run noise")
    return out


def _stored_only(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    values_a: dict[str, float | None],
    values_b: dict[str, float | None],
) -> list[str]:
    """Add to the values the stored metrics the items cannot recompute (e.g. latency percentiles)."""
    stored_a, stored_b = a.get("metrics") or {}, b.get("metrics") or {}
    extra = sorted((set(stored_a) | set(stored_b)) - set(values_a) - set(values_b))
    for metric in extra:
        values_a[metric], values_b[metric] = stored_a.get(metric), stored_b.get(metric)
    return extra


def _bootstrap(
    table_a: ItemTable,
    table_b: ItemTable,
    values_a: Mapping[str, float | None],
    values_b: Mapping[str, float | None],
    resamples: int,
    confidence: float,
    seed: int,
) -> dict[str, tuple[float, float]]:
    """Percentile CIs of B - A from one shared resample of the paired items per round."""
    keys = [k for k in values_a if values_a[k] is not None and values_b.get(k) is not None]
    if resamples <= 0 or not keys:
        return {}
    rng = np.random.default_rng(seed)
    n = len(table_a)
    samples = np.full((resamples, len(keys)), np.nan)
    for r in range(resamples):
        idx = rng.integers(0, n, size=n)
        ra, rb = table_a.aggregate(idx), table_b.aggregate(idx)
        for j, key in enumerate(keys):
            x, y = ra.get(key), rb.get(key)
            if x is not None and y is not None:
                samples[r, j] = y - x
    tail = 100 * (1 - confidence) / 2
    out: dict[str, tuple[float, float]] = {}
    for j, key in enumerate(keys):
        column = samples[:, j][~np.isnan(samples[:, j])]
        if column.size:
            low, high = np.percentile(column, [tail, 100 - tail])
            out[key] = (float(low), float(high))
    return out


def _sort_key(metric: str) -> tuple[str, str]:
    return metric.split(".", 1)[0], metric


def _number(metric: str, value: float | None, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:{'+' if sign else ''}.{1 if metric.endswith(LATENCY_SUFFIX) else 4}f}"


def format_table(c: Comparison) -> str:
    """A plain-text table (metric, A, B, delta, CI, flag), a summary line and the warnings."""
    header = ("metric", "A", "B", "delta", "CI", "")
    rows: list[tuple[str, ...]] = [header]
    improved = 0
    for d in sorted(c.deltas, key=lambda d: _sort_key(d.metric)):
        good = d.delta is not None and (d.delta > 0) == d.higher_is_better and d.delta != 0
        flag = "REGRESSION" if d.regression else "improved" if d.significant and good else ""
        flag = "" if descriptive(d.metric) and not d.regression else flag
        improved += flag == "improved"
        ci = (
            ""
            if d.ci_low is None
            else f"[{_number(d.metric, d.ci_low, True)}, {_number(d.metric, d.ci_high, True)}]"
        )
        m = d.metric
        rows.append((m, _number(m, d.a), _number(m, d.b), _number(m, d.delta, True), ci, flag))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i in (0, 5) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    regressions = sum(d.regression for d in c.deltas)
    lines.append(
        f"{len(c.deltas)} metrics: {regressions} regressions, {improved} improved; {c.paired_items} paired items "
        f"({c.only_a} only in A, {c.only_b} only in B)"
    )
    lines.extend(f"warning: {w}" for w in c.warnings)
    return "\n".join(lines)


def _threshold_arg(text: str) -> tuple[str, float]:
    metric, sep, value = text.partition("=")
    try:
        if not sep or not metric:
            raise ValueError
        return metric.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected METRIC=VALUE, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``compare`` arguments to ``parser``."""
    parser.add_argument("run_a", type=Path, help="baseline run folder (or its results.json)")
    parser.add_argument("run_b", type=Path, help="candidate run folder (or its results.json)")
    parser.add_argument(
        "--threshold",
        type=_threshold_arg,
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="allowed change in the bad direction before a metric counts as a regression; METRIC is a name, "
        "a prefix ('retrieval.') or a glob ('retrieval.*.hit@1'), the most specific wins; for latency metrics "
        f"(*_ms) VALUE is a fraction of A's value (default {LATENCY_DEFAULT_THRESHOLD:g}). Repeatable.",
    )
    parser.add_argument(
        "--default-threshold",
        type=float,
        default=0.02,
        metavar="VALUE",
        help="threshold of other metrics (absolute; default 0.02)",
    )
    parser.add_argument(
        "--resamples", type=int, default=2000, metavar="N", help="bootstrap resamples (default 2000)"
    )
    parser.add_argument(
        "--confidence", type=float, default=0.95, metavar="LEVEL", help="CI level (default 0.95)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="bootstrap seed (default 0)")
    parser.add_argument(
        "--require-significance", action="store_true", help="a regression also needs its CI to exclude 0"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the comparison as JSON instead of the table"
    )


def main(args: argparse.Namespace) -> int:
    """Run ``rag-eval compare``: 0 when nothing regressed, 1 on a regression, 2 on unreadable runs."""
    try:
        a, b = load(args.run_a), load(args.run_b)
        c = compare(
            a,
            b,
            thresholds=dict(args.threshold),
            default_threshold=args.default_threshold,
            resamples=args.resamples,
            confidence=args.confidence,
            seed=args.seed,
            require_significance=args.require_significance,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        message = str(exc) if not isinstance(exc, KeyError) else f"invalid results (missing {exc})"
        print(f"rag-eval compare: {message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(dataclasses.asdict(c), indent=1, ensure_ascii=False))
    else:
        print(format_table(c))
    return 1 if any(d.regression for d in c.deltas) else 0
