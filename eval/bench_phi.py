"""Recall and precision of the PHI rule set (rag_service/services/phi.py) on eval/phi_sentences.jsonl.

    python -m eval.bench_phi --out eval/reports/phi.json

The file holds synthetic patient sentences (every person, date and number invented) with their identifiers
marked, and clinical sentences with none. Each line says its split: the rules were tuned on ``dev`` only;
``test`` is the held-out half whose figures are the ones to quote.

* Recall: a marked identifier counts as found when predicted spans (of any kind) cover all of its characters,
  i.e. it would be fully redacted. Per kind, by the marked kind.
* Precision: a predicted span counts as right when it overlaps a marked identifier. Per kind, by the
  predicted kind.
* False-positive rate: the share of sentences without identifiers in which anything is found.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from rag_service.services.phi import PHI_KINDS, Span, find_phi

DATA = Path(__file__).resolve().parent / "phi_sentences.jsonl"


def _covered(start: int, end: int, spans: list[Span]) -> bool:
    return all(any(s.start <= i < s.end for s in spans) for i in range(start, end))


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def score(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall, precision (overall and per kind) and the false-positive rate of one split."""
    gold_n: Counter[str] = Counter()
    gold_hit: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    pred_hit: Counter[str] = Counter()
    clean = clean_flagged = 0
    missed: list[str] = []
    spurious: list[str] = []
    for record in records:
        text = record["text"]
        gold = [(g["start"], g["end"], g["kind"]) for g in record["phi"]]
        spans = find_phi(text)
        for start, end, kind in gold:
            gold_n[kind] += 1
            if _covered(start, end, spans):
                gold_hit[kind] += 1
            else:
                missed.append(f"{record['id']} {kind}: {text[start:end]}")
        for span in spans:
            pred_n[span.kind] += 1
            if any(span.start < end and start < span.end for start, end, _ in gold):
                pred_hit[span.kind] += 1
            else:
                spurious.append(f"{record['id']} {span.kind}: {text[span.start : span.end]}")
        if not gold:
            clean += 1
            clean_flagged += bool(spans)
    per_kind = {
        kind: {
            "gold": gold_n[kind],
            "recall": _ratio(gold_hit[kind], gold_n[kind]),
            "predicted": pred_n[kind],
            "precision": _ratio(pred_hit[kind], pred_n[kind]),
        }
        for kind in PHI_KINDS
    }
    return {
        "sentences": len(records),
        "sentences_without_phi": clean,
        "identifiers": sum(gold_n.values()),
        "recall": _ratio(sum(gold_hit.values()), sum(gold_n.values())),
        "precision": _ratio(sum(pred_hit.values()), sum(pred_n.values())),
        "false_positive_rate": _ratio(clean_flagged, clean),
        "per_kind": per_kind,
        "missed": missed,
        "spurious": spurious,
    }


def main(argv: list[str] | None = None) -> int:
    """Score every split, print a summary and write the full report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="JSONL of sentences with marked identifiers.")
    parser.add_argument("--out", type=Path, default=None, help="Where to write the JSON report.")
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    report = {split: score([r for r in records if r["split"] == split]) for split in ("dev", "test")} | {
        "all": score(records)
    }
    for split, result in report.items():
        kinds = ", ".join(
            f"{k} R={v['recall']} P={v['precision']}" for k, v in result["per_kind"].items() if v["gold"]
        )
        print(
            f"{split}: {result['identifiers']} identifiers in {result['sentences']} sentences; "
            f"recall {result['recall']}, precision {result['precision']}, "
            f"false positives on {result['sentences_without_phi']} clean sentences {result['false_positive_rate']}"
        )
        print(f"  {kinds}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
