"""Qualifier kept: does an answer keep the section qualifier (severity, population, route, age group) it needs?

Each question of ``eval/qualifier_questions.jsonl`` (hand-written over the demo corpus and the FDA label PDFs)
names the qualifier its answer must keep, as alternative spellings; an answer keeps it when its text holds one
of them (case-insensitive). An abstention keeps nothing. Every question is asked through ``AnswerService`` three
times: ``before`` (no heading lead-ins, no qualifier-aware selection), ``lead_in_only`` and ``after`` (both, the
default: ``answer.context_lead_in`` and ``answer.qualifier_weight``); the rate is reported overall and per split
(``dev``; ``heldout`` questions were never looked at while the lead-in rules were written, but their misses
were seen before the qualifier vocabulary was; ``fresh`` questions were written afterwards by someone who had
not seen the answering code) and corpus.

    rag-ingest --demo --data-dir /tmp/qual && rag-ingest ../shared/data/pdfs --data-dir /tmp/qual
    python -m eval.bench_qualifiers --data-dir /tmp/qual --out eval/reports/qualifiers.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag_service.bootstrap import build_components
from rag_service.settings import Settings

QUESTIONS = Path(__file__).with_name("qualifier_questions.jsonl")


def kept(text: str, qualifiers: Sequence[str]) -> bool:
    """Whether the answer text holds one of the qualifier's spellings."""
    low = text.lower()
    return any(q.lower() in low for q in qualifiers)


def _rates(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, float | int]]:
    out: dict[str, dict[str, float | int]] = {}
    for group in sorted({str(r[key]) for r in rows}):
        part = [r for r in rows if str(r[key]) == group]
        out[group] = {"n": len(part), "qualifier_kept": round(sum(r["kept"] for r in part) / len(part), 3)}
    return out


# The three configurations compared: neither heading lead-ins nor qualifier-aware selection (the answerer
# before this work), lead-ins only, and both (the default).
CONFIGS: dict[str, dict[str, Any]] = {
    "before": {"context_lead_in": False, "qualifier_weight": 0.0},
    "lead_in_only": {"context_lead_in": True, "qualifier_weight": 0.0},
    "after": {},
}


def run(data_dir: Path, questions: list[dict[str, Any]], overrides: dict[str, Any]) -> dict[str, Any]:
    """Ask every question with these answer settings; the kept rate and each answer."""
    settings = Settings(data_dir=data_dir, auth={"enabled": False}, answer=overrides)
    components = build_components(settings)
    components.open_index()
    try:
        service = components.answer_service(components.search_service())
        rows: list[dict[str, Any]] = []
        for q in questions:
            answer = service.ask(q["question"])
            rows.append(
                {
                    "id": q["id"],
                    "split": q["split"],
                    "corpus": q["corpus"],
                    "kept": kept(answer.text, q["qualifier"]),
                    "abstained": answer.abstention is not None,
                    "supported": sum(s.verdict == "supported" for s in answer.sentences),
                    "sentences": len(answer.sentences),
                    "text": answer.text,
                }
            )
    finally:
        components.close()
    answered = [r for r in rows if not r["abstained"]]
    return {
        "context_lead_in": settings.answer.context_lead_in,
        "qualifier_weight": settings.answer.qualifier_weight,
        "n": len(rows),
        "qualifier_kept": round(sum(r["kept"] for r in rows) / len(rows), 3),
        "qualifier_kept_when_answered": round(sum(r["kept"] for r in answered) / max(1, len(answered)), 3),
        "abstained": len(rows) - len(answered),
        "supported_share": round(
            sum(r["supported"] for r in rows) / max(1, sum(r["sentences"] for r in rows)), 3
        ),
        "by_split": _rates(rows, "split"),
        "by_corpus": _rates(rows, "corpus"),
        "answers": rows,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print and write the before/after report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="an index of the demo corpus and FDA PDFs"
    )
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    report: dict[str, Any] = {"questions": str(args.questions)}
    for label, overrides in CONFIGS.items():
        report[label] = run(args.data_dir, questions, overrides)
    for label in CONFIGS:
        r = report[label]
        print(
            f"{label}: qualifier kept {r['qualifier_kept']} ({r['n']} questions, {r['abstained']} abstained)"
        )
        print(f"  by split: {r['by_split']}  by corpus: {r['by_corpus']}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
