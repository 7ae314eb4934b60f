"""Precision and recall of the evidence-strength parser (rag_service/services/evidence_strength.py).

    python -m eval.bench_evidence --out eval/reports/evidence_strength.json

``eval/evidence_labels.jsonl`` holds passages from the open-medicine guideline summaries, PubMedQA abstracts and
MedQuAD answers, labelled by reading them (the rule is in eval/README.md). Each line says its split: the patterns
were adjusted on ``dev`` errors only; ``heldout`` is the half whose figures are the ones to quote.

Per field (system, strength, certainty, study_design) and per value other than ``unknown``:
* precision: of the passages given that value, the share labelled with it;
* recall: of the passages labelled with it, the share given it.
Per field, ``known`` pools every value: a prediction counts as right only when it equals the label, and
``unknown`` predictions are neither right nor wrong (they lower recall, never precision). ``accuracy`` counts
``unknown`` like any other value.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from rag_service.services.evidence_strength import evidence_strength

DATA = Path(__file__).resolve().parent / "evidence_labels.jsonl"
FIELDS = ("system", "strength", "certainty", "study_design")


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def predict(record: dict[str, Any]) -> dict[str, str]:
    """The parser's output for one labelled record."""
    ev = evidence_strength(
        record["text"],
        tuple(record.get("heading_path") or ()),
        doc_type=record.get("doc_type", "other"),
        organisation=record.get("organisation"),
        publication_types=tuple(record.get("publication_types") or ()),
    )
    return ev.as_dict()


def score(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-field and per-value precision and recall over some records."""
    out: dict[str, Any] = {"passages": len(records)}
    predictions = [predict(r) for r in records]
    for field in FIELDS:
        gold_n: Counter[str] = Counter()
        pred_n: Counter[str] = Counter()
        hit: Counter[str] = Counter()
        agree = 0
        for record, pred in zip(records, predictions, strict=True):
            g, p = record["labels"][field], pred[field]
            agree += g == p
            if g != "unknown":
                gold_n[g] += 1
            if p != "unknown":
                pred_n[p] += 1
                if p == g:
                    hit[p] += 1
        values = sorted(set(gold_n) | set(pred_n))
        out[field] = {
            "accuracy": _ratio(agree, len(records)),
            "known": {
                "precision": _ratio(sum(hit.values()), sum(pred_n.values())),
                "recall": _ratio(sum(hit.values()), sum(gold_n.values())),
                "labelled": sum(gold_n.values()),
                "predicted": sum(pred_n.values()),
            },
            "values": {
                v: {
                    "precision": _ratio(hit[v], pred_n[v]),
                    "recall": _ratio(hit[v], gold_n[v]),
                    "labelled": gold_n[v],
                    "predicted": pred_n[v],
                }
                for v in values
            },
        }
    return out


def errors(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records whose prediction differs from the label on any field (dev use: which patterns to fix)."""
    out = []
    for record in records:
        pred = predict(record)
        wrong = {
            f: {"label": record["labels"][f], "predicted": pred[f]}
            for f in FIELDS
            if pred[f] != record["labels"][f]
        }
        if wrong:
            out.append({"id": record["id"], "label": pred["label"], "wrong": wrong})
    return out


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def _print(name: str, result: dict[str, Any]) -> None:
    print(f"\n{name}: {result['passages']} passages")
    for field in FIELDS:
        r = result[field]
        k = r["known"]
        print(
            f"  {field:<13} accuracy {_fmt(r['accuracy'])}  known: P {_fmt(k['precision'])} "
            f"R {_fmt(k['recall'])} ({k['labelled']} labelled, {k['predicted']} predicted)"
        )
        for value, v in r["values"].items():
            print(
                f"      {value:<18} P {_fmt(v['precision'])}  R {_fmt(v['recall'])}  "
                f"({v['labelled']} labelled, {v['predicted']} predicted)"
            )


def main(argv: list[str] | None = None) -> int:
    """Score every split, print the tables and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None, help="Write the JSON report here.")
    parser.add_argument("--errors", action="store_true", help="Also list the dev split's errors.")
    args = parser.parse_args(argv)
    records = [
        json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    report: dict[str, Any] = {
        "data": str(args.data.name),
        "splits": {split: score([r for r in records if r["split"] == split]) for split in ("dev", "heldout")},
        "by_corpus_heldout": {
            corpus: score([r for r in records if r["split"] == "heldout" and r["corpus"] == corpus])
            for corpus in sorted({r["corpus"] for r in records})
        },
    }
    for split, result in report["splits"].items():
        _print(split, result)
    if args.errors:
        for err in errors([r for r in records if r["split"] == "dev"]):
            print(json.dumps(err, ensure_ascii=False))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
