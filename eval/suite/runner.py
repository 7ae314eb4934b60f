"""Run a dataset against a target: search with every retrieval row, ask, verify, score each item."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.suite.items import Dataset, EvalItem
from eval.suite.scoring import (
    answer_scores,
    citation_scores,
    currency_scores,
    evidence_scores,
    injection_scores,
    kqa_scores,
    retrieval_scores,
    verification_scores,
)
from eval.suite.targets import Mode, Target, TargetError
from ingest.demo import DemoMetadata
from ingest.pipeline import IngestPipeline
from ingest.report import IngestReport
from ingest.sources import discover
from rag_service.bootstrap import Components
from rag_service.domain.protocols import SupportScorer
from rag_service.services.support import Claim

# Retrieval rows: the service's own pipeline, the two single retrievers it is built from, and their fusion
# before reranking.
ROWS: dict[str, tuple[Mode, bool]] = {
    "pipeline": ("hybrid", True),
    "bm25": ("lexical", False),
    "dense": ("dense", False),
    "hybrid": ("hybrid", False),
}


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run: cutoff k, which retrieval rows, whether to add gold-removed variants, the judge's bar.

    ``min_relevance`` is the service's relevance threshold, at which the no-evidence signal is scored.
    """

    k: int = 10
    rows: tuple[str, ...] = tuple(ROWS)
    gold_removed_variants: bool = True
    threshold: float = 0.7
    min_relevance: float = 0.5
    progress: bool = True


def build_index(c: Components, corpus: Path, demo: bool = False, progress: bool = True) -> IngestReport:
    """Ingest ``corpus`` into the components' open index (incremental: unchanged files are skipped)."""
    files, missing = discover([corpus])
    with (
        tqdm(total=len(files), desc="index", unit="file", disable=not progress, leave=False) as bar,
        c.writer_lock(),
    ):
        pipeline = IngestPipeline(
            c, overrides_for=DemoMetadata(corpus) if demo else None, on_file_done=lambda _: bar.update(1)
        )
        report = pipeline.run(files, missing=missing, prune=True)
        c.index.refresh_lexical()
    return report


def _record(item: EvalItem, variant: str) -> dict[str, Any]:
    gold: dict[str, Any] = {"doc_ids": sorted(item.gold_doc_ids)}
    for key, value in (
        ("answer", item.gold_answer),
        ("decision", item.decision),
        ("must_have", list(item.must_have)),
        ("label", item.claim_label),
    ):
        if value:
            gold[key] = value
    return {
        "id": f"{item.qid}#{variant}",
        "qid": item.qid,
        "variant": variant,
        "group": item.extra.get("group"),
        "question": item.question,
        "gold": gold,
        "retrieved": {},
        "answer": None,
        "scores": {},
        "signals": {},
        "ms": {},
    }


def _ask(
    target: Target,
    scorer: SupportScorer,
    item: EvalItem,
    record: dict[str, Any],
    opts: RunOptions,
    kqa: bool,
    exclude: Sequence[str] = (),
) -> None:
    started = time.perf_counter()
    answer = target.ask(item.question, exclude)
    record["ms"]["ask"] = round((time.perf_counter() - started) * 1000, 1)
    record["scores"]["latency.ask_ms"] = record["ms"]["ask"]
    record["answer"] = answer
    record["signals"]["abstained"] = int(answer["abstained"])
    record["signals"]["should_abstain"] = int(record["variant"] != "answerable")
    record["scores"].update(verification_scores(answer))
    record["scores"].update(injection_scores(item, answer))
    if not answer["abstained"]:
        record["scores"].update(citation_scores(answer, scorer, opts.threshold))
        record["scores"].update(currency_scores(answer))
        record["scores"].update(evidence_scores(answer))
        record["signals"]["newest_year"] = (answer.get("currency") or {}).get("newest_year")
        if record["variant"] == "answerable":
            # Only a generated answer takes a yes/no position; an extractive one (or a fallback) quotes.
            backend = (answer.get("provenance") or {}).get("answer_backend")
            record["scores"].update(
                answer_scores(item, answer, decisions=backend not in (None, "extractive"))
            )
    if kqa:
        record["scores"].update(kqa_scores(item, answer, scorer, opts.threshold))


def _qa_item(
    target: Target, scorer: SupportScorer, item: EvalItem, opts: RunOptions, kqa: bool
) -> list[dict[str, Any]]:
    record = _record(item, "answerable" if item.answerable else "unanswerable")
    with_gold = item.answerable and bool(item.gold_doc_ids)
    if with_gold:
        for row in opts.rows:
            mode, rerank = ROWS[row]
            started = time.perf_counter()
            ranked, top1 = target.search(item.question, top_k=opts.k, mode=mode, rerank=rerank)
            record["ms"][f"search_{row}"] = round((time.perf_counter() - started) * 1000, 1)
            record["retrieved"][row] = ranked
            record["scores"].update(retrieval_scores(row, ranked, item.gold_doc_ids, opts.k))
            if row == "pipeline" and opts.gold_removed_variants:
                _no_evidence_signal(record, top1 or 0.0, opts)
        record["scores"]["latency.search_ms"] = record["ms"].get("search_pipeline")
    _ask(target, scorer, item, record, opts, kqa)
    records = [record]
    if opts.gold_removed_variants and with_gold:
        variant = _record(item, "gold_removed")
        gold = sorted(item.gold_doc_ids)
        _no_evidence_signal(variant, target.top_relevance(item.question, gold), opts)
        _ask(target, scorer, item, variant, opts, kqa=False, exclude=gold)
        records.append(variant)
    return records


def _no_evidence_signal(record: dict[str, Any], top1: float, opts: RunOptions) -> None:
    """The top-1 relevance of the pipeline's search, and whether the threshold decided right on it.

    With the gold documents indexed the best passage should reach the threshold; with them removed nothing
    in a dataset's own corpus answers the question, so it should not.
    """
    record["signals"]["top1_relevance"] = round(top1, 4)
    if record["variant"] == "gold_removed":
        record["scores"]["relevance.rejected_when_gold_removed"] = float(top1 < opts.min_relevance)
    else:
        record["scores"]["relevance.kept_when_gold_present"] = float(top1 >= opts.min_relevance)


def run_qa(
    target: Target, scorer: SupportScorer, dataset: Dataset, opts: RunOptions
) -> tuple[list[dict[str, Any]], list[str]]:
    """Search, ask and score every item; returns the item records and the errors (one line per failed item).

    A request that fails (the service answered an error) is recorded against its item and the run goes on.
    """
    records: list[dict[str, Any]] = []
    errors: list[str] = []
    kqa = dataset.name == "kqa"
    for item in tqdm(dataset.items, desc=dataset.name, unit="q", disable=not opts.progress):
        try:
            records.extend(_qa_item(target, scorer, item, opts, kqa))
        except TargetError as exc:
            errors.append(f"{item.qid}: {exc}")
            failed = _record(item, "answerable" if item.answerable else "unanswerable")
            failed["error"] = str(exc)
            records.append(failed)
    return records, errors


def run_support(scorer: SupportScorer, dataset: Dataset, opts: RunOptions) -> list[dict[str, Any]]:
    """Score every labelled claim against its evidence; supported = label ``Complete``."""
    records: list[dict[str, Any]] = []
    batch = 64
    bar = tqdm(total=len(dataset.items), desc=dataset.name, unit="claim", disable=not opts.progress)
    for start in range(0, len(dataset.items), batch):
        chunk = dataset.items[start : start + batch]
        results = scorer.score([Claim(i.question, i.claim_evidence) for i in chunk])
        for item, result in zip(chunk, results, strict=True):
            record = _record(item, "answerable")
            label = int(item.claim_label == "Complete")
            record["signals"] = {"support_score": round(result.score, 4), "support_label": label}
            record["scores"] = {"support.accuracy": float((result.score >= opts.threshold) == bool(label))}
            records.append(record)
        bar.update(len(chunk))
    bar.close()
    return records
