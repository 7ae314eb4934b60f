"""The PNG figures of a run's report, drawn with :class:`matplotlib.figure.Figure` (no pyplot global state).

Each ``*_figure`` function returns None when the run has no data for it, so a report only shows what exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from eval.metrics import recall_at

# Per-item metrics whose distribution is worth a histogram, in display order (those with values are drawn).
DISTRIBUTION_METRICS = (
    "answer.citation_recall",
    "answer.citation_precision",
    "answer.unsupported_sentence_rate",
)
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def write_plots(results: Mapping[str, Any], folder: Path) -> list[tuple[Path, str]]:
    """Draw every figure the run has data for into ``folder``.

    Returns:
        ``(png path, caption)`` pairs in display order.
    """
    items: list[Mapping[str, Any]] = results.get("items", [])
    meta: Mapping[str, Any] = results.get("meta", {})
    figures = [
        (
            "recall_at_k.png",
            "Recall@k of each retrieval row (answerable items with gold documents)",
            recall_figure(items, retrieval_rows(meta, items), int(meta.get("k") or 0)),
        ),
        ("score_distributions.png", "Distribution of per-item scores", distribution_figure(items)),
        ("support_by_label.png", "Support score by human label", support_figure(items)),
        ("sentence_scores.png", "Answer sentence support score by verdict", sentence_figure(items)),
    ]
    written: list[tuple[Path, str]] = []
    for name, caption, figure in figures:
        if figure is None:
            continue
        path = folder / name
        # No "Software" chunk: the bytes then depend only on the data, not on the matplotlib version.
        figure.savefig(path, format="png", metadata={"Software": None})
        written.append((path, caption))
    return written


def retrieval_rows(meta: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> list[str]:
    """The retrieval rows of a run: ``meta["rows"]``, else the rows the items were ranked by."""
    rows = [str(r) for r in meta.get("rows") or []]
    if rows:
        return rows
    seen: dict[str, None] = {}
    for item in items:
        seen.update(dict.fromkeys(item.get("retrieved") or {}))
    return list(seen)


def mrr_key(items: Sequence[Mapping[str, Any]], k: int | None = None) -> str | None:
    """The per-item ``retrieval.pipeline.mrr@k`` score name present in the items (``@k`` preferred)."""
    keys = sorted(
        {s for item in items for s in item.get("scores") or {} if s.startswith("retrieval.pipeline.mrr@")},
        key=natural_key,
    )
    preferred = f"retrieval.pipeline.mrr@{k}"
    return preferred if preferred in keys else (keys[-1] if keys else None)


def natural_key(text: str) -> list[Any]:
    """Sort key that orders ``hit@5`` before ``hit@10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


def recall_curve(items: Sequence[Mapping[str, Any]], row: str, depth: int) -> list[float]:
    """Mean recall at k = 1..depth of ``row`` over answerable items with gold documents (empty if none)."""
    rankings = [
        ([set(ids) for ids in item["retrieved"][row]], set(item["gold"]["doc_ids"]))
        for item in items
        if item.get("variant", "answerable") == "answerable"
        and (item.get("gold") or {}).get("doc_ids")
        and row in (item.get("retrieved") or {})
    ]
    if not rankings:
        return []
    return [
        float(np.mean([recall_at(ranked, gold, k) for ranked, gold in rankings])) for k in range(1, depth + 1)
    ]


def recall_figure(items: Sequence[Mapping[str, Any]], rows: Sequence[str], k: int) -> Figure | None:
    """Recall@k curves, one line per retrieval row, up to ``k`` (or the longest ranking when 0)."""
    depth = k or max((len(r) for item in items for r in (item.get("retrieved") or {}).values()), default=0)
    curves = {row: recall_curve(items, row, depth) for row in rows}
    curves = {row: curve for row, curve in curves.items() if curve}
    if not curves:
        return None
    fig = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ks = np.arange(1, depth + 1)
    for n, (row, curve) in enumerate(curves.items()):
        ax.plot(ks, curve, marker="o", markersize=3, label=row, color=COLORS[n % len(COLORS)])
    ax.set(xlabel="k", ylabel="recall@k", ylim=(0, 1.02))
    if depth <= 20:
        ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def per_item(items: Sequence[Mapping[str, Any]], metric: str) -> list[float]:
    """The items' values of ``metric`` (items without one are left out)."""
    values = ((item.get("scores") or {}).get(metric) for item in items)
    return [float(v) for v in values if v is not None]


def distribution_figure(items: Sequence[Mapping[str, Any]]) -> Figure | None:
    """One histogram per main metric that has per-item values."""
    names = [m for m in (*DISTRIBUTION_METRICS[:2], mrr_key(items), *DISTRIBUTION_METRICS[2:]) if m]
    data = {m: v for m in names if (v := per_item(items, m))}
    if not data:
        return None
    fig = Figure(figsize=(3.2 * len(data), 3.0), dpi=100, layout="constrained")
    for n, (metric, values) in enumerate(data.items()):
        ax = fig.add_subplot(1, len(data), n + 1)
        ax.hist(values, bins=[n / 10 for n in range(11)], color=COLORS[n % len(COLORS)], edgecolor="white")
        ax.set(title=metric, xlabel="score", ylabel="items" if n == 0 else None)
        ax.title.set_fontsize(9)
    return fig


def _overlaid(groups: Mapping[str, list[float]], xlabel: str) -> Figure | None:
    """Overlaid histograms of ``groups`` (label -> values) on shared bins, each normalised to sum to 1."""
    groups = {label: values for label, values in groups.items() if values}
    if not groups:
        return None
    edges = np.histogram_bin_edges([v for values in groups.values() for v in values], bins=20).tolist()
    fig = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for n, (label, values) in enumerate(groups.items()):
        # Each group sums to 1, so groups of very different sizes (most claims supported) stay comparable.
        ax.hist(
            values,
            bins=edges,
            weights=[1 / len(values)] * len(values),
            alpha=0.55,
            label=f"{label} (n={len(values)})",
            color=COLORS[n % len(COLORS)],
        )
    ax.set(xlabel=xlabel, ylabel="share of the group")
    ax.legend()
    return fig


def support_figure(items: Sequence[Mapping[str, Any]]) -> Figure | None:
    """Support scores of labelled items, supported (label 1) against not supported (label 0)."""
    groups: dict[str, list[float]] = {"label 1 (supported)": [], "label 0 (not supported)": []}
    for item in items:
        signals = item.get("signals") or {}
        score, label = signals.get("support_score"), signals.get("support_label")
        if score is not None and label is not None:
            groups["label 1 (supported)" if float(label) == 1 else "label 0 (not supported)"].append(
                float(score)
            )
    return _overlaid(groups, "support score")


def sentence_figure(items: Sequence[Mapping[str, Any]]) -> Figure | None:
    """Support scores of answer sentences, one histogram per verdict."""
    groups: dict[str, list[float]] = {}
    for item in items:
        for sentence in (item.get("answer") or {}).get("sentences") or []:
            if sentence.get("score") is not None:
                groups.setdefault(str(sentence.get("verdict")), []).append(float(sentence["score"]))
    return _overlaid(dict(sorted(groups.items())), "sentence support score")
