"""Answer-level figures on PubMedQA dev with the configured backend (extractive by default).

Run::

    python -m eval.bench_ask --out eval/reports/ask_pubmedqa.json [--limit N]

The corpus is the abstract contexts of all 500 dev questions (as in ``eval.bench_retrieval``). Every
question is asked twice: with the index as it is, and with the question's own abstract left out by an
``exclude_doc_ids`` filter (the same documents a re-index without it would hold; the filter avoids 500
re-indexings). Without its own abstract nothing in this corpus answers the question, so the service
should abstain or say the evidence is insufficient.

Reported: abstention rate (by reason), share of answer sentences judged supported, share carrying a valid
citation, invalid citation markers removed, how often the answer cites the question's own abstract, and
ask latency in process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.bench_retrieval import build_index
from eval.datasets import RetrievalItem, pubmedqa, write_jsonl
from eval.metrics import percentile
from eval.report import emit
from rag_service.domain.answers import Answer
from rag_service.domain.retrieval import SearchFilters
from rag_service.services.answering import AnswerService
from rag_service.settings import Settings


def summarise(answers: list[Answer], items: list[RetrievalItem], times: list[float]) -> dict[str, Any]:
    """Aggregate figures of one pass."""
    answered = [(a, i) for a, i in zip(answers, items, strict=True) if not a.abstained]
    sentences = [s for a, _ in answered for s in a.sentences]
    reasons = Counter(a.abstention.code for a in answers if a.abstention is not None)
    return {
        "questions": len(answers),
        "abstention_rate": round(sum(a.abstained for a in answers) / len(answers), 4),
        "abstentions_by_reason": dict(reasons),
        "answered": len(answered),
        "sentences": len(sentences),
        "sentences_supported": round(sum(s.verdict == "supported" for s in sentences) / len(sentences), 4)
        if sentences
        else None,
        "sentences_with_valid_citation": round(sum(bool(s.citations) for s in sentences) / len(sentences), 4)
        if sentences
        else None,
        "invalid_citations_removed": sum(a.invalid_citations_removed for a in answers),
        "answers_citing_own_abstract": round(
            sum(any(c.evidence.doc_id in i.gold_doc_ids for c in a.citations) for a, i in answered)
            / len(answered),
            4,
        )
        if answered
        else None,
        "ms_p50": round(percentile(times, 50), 1),
        "ms_p95": round(percentile(times, 95), 1),
    }


def run(svc: AnswerService, items: list[RetrievalItem], exclude_gold: bool) -> dict[str, Any]:
    """Ask every item once; returns the summary."""
    answers: list[Answer] = []
    times: list[float] = []
    label = "own abstract removed" if exclude_gold else "full index"
    for item in tqdm(items, desc=label, unit="q", leave=False):
        filters = SearchFilters(exclude_doc_ids=sorted(item.gold_doc_ids)) if exclude_gold else None
        started = time.perf_counter()
        answers.append(svc.ask(item.question, filters=filters))
        times.append((time.perf_counter() - started) * 1000)
    return summarise(answers, items, times)


def main() -> int:
    """Run both passes and print the figures as JSON (also written to --out)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--path",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "data" / "pubmedqa" / "pqal_dev.json",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="reuse (or build) the PubMedQA index here"
    )
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    records, items = pubmedqa(args.path)
    items = items[: args.limit] if args.limit else items
    with tempfile.TemporaryDirectory(prefix="bench-ask-") as tmp:
        settings = Settings(data_dir=args.data_dir or Path(tmp) / "data")
        c = build_index(settings, write_jsonl(records, Path(tmp) / "pubmedqa.jsonl"))
        svc = c.answer_service(c.search_service())
        figures: dict[str, Any] = {
            "dataset": "pubmedqa-dev",
            "backend": settings.answer.backend,
            "settings_fingerprint": settings.fingerprint(),
            "full_index": run(svc, items, exclude_gold=False),
            "own_abstract_removed": run(svc, items, exclude_gold=True),
        }
        c.close()
    figures["seconds"] = round(time.perf_counter() - started, 1)
    emit(figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
