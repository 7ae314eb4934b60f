"""A run's human-readable reports: ``report.md`` and a self-contained ``report.html``, with the figures as PNGs.

Both reports are rendered from one list of sections, so they carry the same information. Every string that
comes from the data (questions, answers, document ids, notes) is escaped: HTML-escaped in the html, and in
the Markdown with ``|``, ``\\``, newlines and ``<``/``>``/``&`` neutralised so a cell cannot break its table.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import auroc
from eval.suite.aggregate import ItemTable, higher_is_better
from eval.suite.plots import mrr_key, natural_key, retrieval_rows, write_plots

GROUP_ORDER = ("retrieval", "relevance", "answer", "verification", "abstention", "support", "kqa", "latency")
VARIANTS = ("answerable", "gold_removed", "unanswerable")
META_KEYS = (
    "dataset", "path", "dataset_sha256", "target", "url", "backend", "judge", "settings_hash", "prompt_id",
    "prompt_hash", "models", "collection", "corpus_fingerprint", "corpus", "started_at", "wall_seconds",
    "limit", "seed", "k", "rows", "version",
)  # fmt: skip
ITEM_HEADERS = ("id", "question", "gold docs", "top 3 retrieved", "answer", "abstain code", "scores")
QUESTION_CHARS = 200
ANSWER_CHARS = 300
CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 78rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.2rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td { overflow-wrap: anywhere; max-width: 32rem; }
img { max-width: 100%; }
figure { margin: 1rem 0; }
figcaption { font-size: 0.9rem; color: #555; }
"""


@dataclass(frozen=True, slots=True)
class Table:
    """A table of plain-text cells (``\\n`` in a cell is a line break)."""

    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True, slots=True)
class Image:
    """A PNG written next to the reports."""

    path: Path
    caption: str


Block = Table | Image | list[str] | str  # a list is a bullet list, a str a paragraph


@dataclass(slots=True)
class Section:
    """A heading and what follows it."""

    title: str
    level: int = 2
    blocks: list[Block] = field(default_factory=list)


def write_reports(results: dict[str, Any], folder: Path, worst: int = 10) -> list[Path]:
    """Write report.md, report.html and the plot PNGs into folder; returns the written paths.

    Args:
        results: A loaded ``results.json`` (see :mod:`eval.suite.results`).
        folder: Where to write (created if needed); usually the run's results folder.
        worst: How many items each "worst items" list shows at most.

    Returns:
        The paths of ``report.md``, ``report.html`` and the PNGs, in that order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    meta: Mapping[str, Any] = results.get("meta") or {}
    items: list[Mapping[str, Any]] = results.get("items") or []
    plots = write_plots(results, folder)
    sections = [
        *_meta_sections(meta, items),
        *_metrics_sections(results.get("metrics") or {}, results.get("counts") or {}),
        *_optional(
            _baselines_section(results.get("metrics") or {}, results.get("counts") or {}, meta, items)
        ),
        *_optional(_no_evidence_section(items, meta)),
        *_optional(_variants_section(items)),
        *_optional(_groups_section(items)),
        *_optional(Section("Figures", blocks=[Image(p, c) for p, c in plots]) if plots else None),
        *_worst_sections(items, meta, worst),
    ]
    md, page = folder / "report.md", folder / "report.html"
    md.write_text(_markdown(sections), encoding="utf-8")
    page.write_text(_html(sections), encoding="utf-8")
    return [md, page, *(p for p, _ in plots)]


def _optional(section: Section | None) -> list[Section]:
    return [section] if section is not None else []


def _fmt(value: Any) -> str:
    """A metric value with 4 decimals; ``n/a`` for a missing or undefined one."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{float(value):.4f}"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _meta_sections(meta: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> list[Section]:
    rows: list[list[str]] = []
    for key in META_KEYS:
        value = meta.get(key)
        if isinstance(value, Mapping):
            rows += [[f"{key}.{sub}", _text(v)] for sub, v in value.items() if v is not None]
        elif value is not None and value != "" and value != []:
            rows.append([key, _text(value)])
    rows.append(["items", str(len(items))])
    blocks: list[Block] = [Table(["field", "value"], rows)]
    notes = meta.get("notes") or []
    if notes:
        blocks += ["Notes:", [str(n) for n in notes]]
    return [
        Section(f"Evaluation report: {meta.get('dataset') or 'unknown dataset'}", 1),
        Section("Run", blocks=blocks),
    ]


def _metrics_sections(metrics: Mapping[str, Any], counts: Mapping[str, Any]) -> list[Section]:
    if not metrics:
        return [Section("Metrics", blocks=["The run has no metrics."])]
    groups: dict[str, list[str]] = {}
    for name in metrics:
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    order = sorted(groups, key=lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER), g))
    out = [Section("Metrics")]
    for group in order:
        rows = [
            [name, _fmt(metrics[name]), str(counts.get(name, "")), _direction(name)]
            for name in sorted(groups[group], key=natural_key)
        ]
        out.append(Section(group, 3, [Table(["metric", "value", "n", "direction"], rows)]))
    return out


def _direction(metric: str) -> str:
    return "higher is better" if higher_is_better(metric) else "lower is better"


def _baselines_section(
    metrics: Mapping[str, Any],
    counts: Mapping[str, Any],
    meta: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
) -> Section | None:
    """Retrieval metrics side by side for the pipeline and the single-retriever baselines."""
    per_row: dict[str, dict[str, Any]] = {}
    for row in retrieval_rows(meta, items):
        prefix = f"retrieval.{row}."
        found = {name[len(prefix) :]: value for name, value in metrics.items() if name.startswith(prefix)}
        if found:
            per_row[row] = found
    if not per_row:
        return None
    columns = sorted({m for found in per_row.values() for m in found}, key=natural_key)
    rows = [
        [
            row,
            *(_fmt(found.get(m)) for m in columns),
            str(max(int(counts.get(f"retrieval.{row}.{m}", 0)) for m in columns)),
        ]
        for row, found in per_row.items()
    ]
    blocks: list[Block] = [Table(["row", *columns, "n"], rows)]
    if "pipeline" in per_row and len(per_row) > 1:
        deltas = []
        for row in (r for r in per_row if r != "pipeline"):
            pairs = ((per_row["pipeline"].get(m), per_row[row].get(m)) for m in columns)
            deltas.append(
                [
                    f"pipeline − {row}",
                    *(f"{a - b:+.4f}" if a is not None and b is not None else "n/a" for a, b in pairs),
                ]
            )
        blocks += [
            "What the pipeline adds over each baseline (positive: the pipeline is better):",
            Table(["difference", *columns], deltas),
        ]
    return Section("Retrieval: pipeline against baselines", blocks=blocks)


NO_EVIDENCE_THRESHOLDS = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60)


def _no_evidence_section(items: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]) -> Section | None:
    """Top-1 relevance with the gold documents indexed against removed, by relevance threshold."""
    present: list[float] = []
    removed: list[float] = []
    for item in items:
        value = (item.get("signals") or {}).get("top1_relevance")
        if value is not None:
            (removed if item.get("variant") == "gold_removed" else present).append(float(value))
    if not present or not removed:
        return None
    configured = meta.get("min_relevance")
    thresholds = sorted({*NO_EVIDENCE_THRESHOLDS, *([float(configured)] if configured is not None else [])})
    rows = [
        [
            f"{t:.2f}" + (" (configured)" if configured is not None and t == float(configured) else ""),
            _fmt(sum(v >= t for v in present) / len(present)),
            _fmt(sum(v < t for v in removed) / len(removed)),
        ]
        for t in thresholds
    ]
    return Section(
        "No relevant evidence signal",
        blocks=[
            f"Top-1 relevance of the service's search for {len(present)} answerable questions with their gold "
            f"documents indexed and {len(removed)} with them removed by a filter; AUROC "
            f"{_fmt(auroc(present, removed))}. The relevance threshold keeps the evidence of the first and "
            'should say "no relevant evidence" for the second.',
            Table(["threshold", "kept, gold indexed", "no relevant evidence, gold removed"], rows),
        ],
    )


def _variants_section(items: Sequence[Mapping[str, Any]]) -> Section | None:
    """Answer and abstention metrics recomputed over each question variant on its own."""
    present = sorted(
        {str(i["variant"]) for i in items if i.get("variant")},
        key=lambda v: (v not in VARIANTS, VARIANTS.index(v) if v in VARIANTS else 0, v),
    )
    if not present:
        return None
    stats: dict[str, tuple[int, str, dict[str, float | None]]] = {}
    for variant in present:
        table = ItemTable([i for i in items if i.get("variant") == variant])
        abstained = table.signals["abstained"][~np.isnan(table.signals["abstained"])]
        rate = _fmt(float(abstained.mean())) if len(abstained) else "n/a"
        stats[variant] = (len(table), rate, table.aggregate())
    answer_keys = sorted(
        {k for _, _, agg in stats.values() for k in agg if k.startswith("answer.")}, key=natural_key
    )
    rows = [
        [variant, str(n), rate, *(_fmt(agg.get(k)) for k in answer_keys)]
        for variant, (n, rate, agg) in stats.items()
    ]
    return Section(
        "By question variant", blocks=[Table(["variant", "items", "abstention rate", *answer_keys], rows)]
    )


GROUP_METRICS = (
    "abstention.recall",
    "abstention.rate_on_answerable",
    "answer.citation_recall",
    "answer.cites_gold",
)


def _groups_section(items: Sequence[Mapping[str, Any]]) -> Section | None:
    """The main metrics per item group (question type, source collection, label given in the dataset)."""
    groups = sorted({str(i["group"]) for i in items if i.get("group")})
    if len(groups) < 2:
        return None
    aggregates = {g: ItemTable([i for i in items if i.get("group") == g]).aggregate() for g in groups}
    present = {k for agg in aggregates.values() for k, v in agg.items() if v is not None}
    keys = [k for k in sorted(present, key=natural_key) if k.startswith("retrieval.pipeline.")]
    keys += [k for k in GROUP_METRICS if k in present]
    rows = [
        [g, str(sum(1 for i in items if i.get("group") == g)), *(_fmt(aggregates[g].get(k)) for k in keys)]
        for g in groups
    ]
    return Section("By group", blocks=[Table(["group", "items", *keys], rows)])


def _worst_sections(items: Sequence[Mapping[str, Any]], meta: Mapping[str, Any], worst: int) -> list[Section]:
    out = [Section("Worst items")]
    key = mrr_key(items, meta.get("k"))
    if key:
        ranked = [
            i
            for i in items
            if i.get("variant", "answerable") == "answerable"
            and (i.get("scores") or {}).get(key) is not None
            and float(i["scores"][key]) < 1.0  # a gold document at rank 1 is nothing to inspect
        ]
        ranked.sort(key=lambda i: float(i["scores"][key]))  # stable: ties keep the run's order
        rows = [_item_row(i, meta, items) for i in ranked[:worst]]
        out.append(
            Section(
                f"Lowest {key} (answerable items)",
                3,
                [
                    Table(list(ITEM_HEADERS), rows)
                    if rows
                    else "Every answerable item has a gold document at rank 1."
                ],
            )
        )
    labelled = [i for i in items if (i.get("signals") or {}).get("support_label") is not None]
    if labelled:
        out.append(_disagreements(labelled, worst))
    flagged = [(i, p) for i in items if (p := _problems(i))]
    flagged.sort(key=lambda ip: _severity(ip[0]))
    rows = [[" ; ".join(p), *_item_row(i, meta, items)] for i, p in flagged[:worst]]
    out.append(
        Section(
            "Citation and abstention errors",
            3,
            [
                Table(["problem", *ITEM_HEADERS], rows)
                if rows
                else "No item has a citation or abstention error."
            ],
        )
    )
    return out


def _disagreements(items: Sequence[Mapping[str, Any]], worst: int) -> Section:
    """Claims where the support score is furthest from the human label (high on unsupported, low on supported)."""

    def gap(item: Mapping[str, Any]) -> float:
        signals = item["signals"]
        score = float(signals.get("support_score") or 0.0)
        return score if int(signals["support_label"]) == 0 else 1.0 - score

    ranked = sorted(items, key=gap, reverse=True)[:worst]
    rows = [
        [
            str(i.get("id", "")),
            "supported" if int(i["signals"]["support_label"]) else "not supported",
            _fmt(i["signals"].get("support_score")),
            _truncate(str(i.get("question", "")), QUESTION_CHARS),
        ]
        for i in ranked
    ]
    return Section(
        "Largest disagreements with the human support label",
        3,
        [Table(["id", "human label", "support score", "claim"], rows)],
    )


def _item_row(
    item: Mapping[str, Any], meta: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
) -> list[str]:
    retrieved: Mapping[str, Any] = item.get("retrieved") or {}
    row = (
        "pipeline"
        if "pipeline" in retrieved
        else next((r for r in retrieval_rows(meta, items) if r in retrieved), None)
    )
    top = "\n".join(" / ".join(str(d) for d in rank) for rank in retrieved[row][:3]) if row else ""
    answer: Mapping[str, Any] = item.get("answer") or {}
    scores: Mapping[str, Any] = item.get("scores") or {}
    return [
        str(item.get("id", "")),
        _truncate(str(item.get("question", "")), QUESTION_CHARS),
        ", ".join(str(d) for d in (item.get("gold") or {}).get("doc_ids") or []),
        top,
        _truncate(str(answer.get("text") or ""), ANSWER_CHARS),
        str(answer.get("abstain_code") or ""),
        "\n".join(f"{k} = {_fmt(scores[k])}" for k in sorted(scores, key=natural_key)),
    ]


def _wrong_abstention(item: Mapping[str, Any]) -> float | None:
    """1.0 if the item abstained but should not have, 0.0 for the reverse, None when it was right or unknown."""
    signals = item.get("signals") or {}
    abstained, should = signals.get("abstained"), signals.get("should_abstain")
    if abstained is None or should is None or float(abstained) == float(should):
        return None
    return float(abstained)


def _sentence_recalls(item: Mapping[str, Any]) -> list[float]:
    sentences = (item.get("answer") or {}).get("sentences") or []
    return [float(s["citation_recall"]) for s in sentences if s.get("citation_recall") is not None]


def _problems(item: Mapping[str, Any]) -> list[str]:
    out = []
    wrong = _wrong_abstention(item)
    if wrong is not None:
        out.append("abstained but should have answered" if wrong else "answered but should have abstained")
    low = [r for r in _sentence_recalls(item) if r < 1]
    if low:
        out.append(f"{len(low)} sentence(s) with citation recall < 1 (lowest {min(low):.2f})")
    return out


def _severity(item: Mapping[str, Any]) -> tuple[int, float]:
    """Wrong abstentions first, then the lowest sentence citation recall."""
    return (_wrong_abstention(item) is None, min(_sentence_recalls(item), default=1.0))


def _md(text: str) -> str:
    """Markdown-safe text: nothing in it can end a table cell, start a line, or be read as HTML."""
    for raw, safe in (("\\", "\\\\"), ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(raw, safe)
    return "<br>".join(re.split(r"\r\n|\r|\n", text))


def _markdown(sections: Sequence[Section]) -> str:
    lines: list[str] = []
    for section in sections:
        lines += ["#" * section.level + " " + _md(section.title), ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines.append("| " + " | ".join(_md(h) for h in block.headers) + " |")
                lines.append("|" + "---|" * len(block.headers))
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
            elif isinstance(block, Image):
                lines.append(f"![{_md(block.caption)}]({block.path.name})")
            elif isinstance(block, list):
                lines += [f"- {_md(b)}" for b in block]
            else:
                lines.append(_md(block))
            lines.append("")
    return "\n".join(lines)


def _h(text: str) -> str:
    return "<br>".join(html.escape(line) for line in re.split(r"\r\n|\r|\n", text))


def _html(sections: Sequence[Section]) -> str:
    title = sections[0].title if sections else "Evaluation report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><title>{_h(title)}</title><style>{CSS}</style></head>',
        "<body>",
    ]
    for section in sections:
        parts.append(f"<h{section.level}>{_h(section.title)}</h{section.level}>")
        for block in section.blocks:
            if isinstance(block, Table):
                head = "".join(f"<th>{_h(h)}</th>" for h in block.headers)
                body = "".join(
                    "<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in block.rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            elif isinstance(block, Image):
                data = base64.b64encode(block.path.read_bytes()).decode("ascii")
                parts.append(
                    f'<figure><img src="data:image/png;base64,{data}" alt="{_h(block.caption)}">'
                    f"<figcaption>{_h(block.caption)}</figcaption></figure>"
                )
            elif isinstance(block, list):
                parts.append("<ul>" + "".join(f"<li>{_h(b)}</li>" for b in block) + "</ul>")
            else:
                parts.append(f"<p>{_h(block)}</p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
