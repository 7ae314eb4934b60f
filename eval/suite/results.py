"""The results folder of one ``rag-eval run``: ``results.json`` (every item, the metrics, run metadata).

``results.json`` layout (``schema`` 1)::

    {
      "schema": 1,
      "meta": {"dataset": "pubmedqa", "path": "...", "dataset_sha256": "...", "target": "in-process" | "http",
               "url": null, "backend": "extractive", "judge": "calibrated", "settings_hash": "...",
               "prompt_id": "...", "prompt_hash": "...", "models": {"embedding": ..., "reranker": ...,
               "answer_model": ..., "support_scorer": ...}, "collection": "...", "corpus_fingerprint": "...",
               "corpus": {"documents": N, "passages": N}, "started_at": "ISO-8601", "wall_seconds": 12.3,
               "limit": null, "seed": 13, "k": 10, "rows": ["pipeline", "bm25", "dense", "hybrid"],
               "judge_threshold": 0.7, "min_relevance": 0.5,
               "version": "0.1.0", "notes": ["..."]},
      "metrics": {"retrieval.pipeline.hit@1": 0.98, "answer.citation_recall": 0.97,
                  "abstention.precision": 0.91, ...},
      "counts": {"retrieval.pipeline.hit@1": 500, ...},
      "items": [
        {"id": "123#answerable", "qid": "123", "variant": "answerable" | "gold_removed" | "unanswerable",
         "question": "...",
         "gold": {"doc_ids": [...], "answer": "..." | null, "decision": "yes" | null, "must_have": [...],
                  "label": "..." | null},
         "retrieved": {"pipeline": [["doc-a", "dup-of-a"], ["doc-b"], ...], "bm25": [...], "dense": [...],
                       "hybrid": [...]},
         "answer": null | {"text": "...", "abstained": false, "abstain_code": null,
                           "citations": [{"number": 1, "doc_id": "...", "chunk_id": "...", "title": "...",
                                          "heading": "...", "page": 3, "version": null, "text": "..."}],
                           "sentences": [{"text": "...", "citations": [1], "verdict": "supported",
                                          "score": 0.93, "citation_recall": 1.0,
                                          "citation_precision": 1.0}]},
         "scores": {"retrieval.pipeline.hit@1": 1.0, "answer.citation_recall": 1.0, ...},
         "signals": {"abstained": 0, "should_abstain": 0, "support_score": null, "support_label": null,
                     "top1_relevance": 0.83},
         "ms": {"ask": 480.2, "search": 61.0}}
      ]
    }

Metric names are ``group.name`` (``retrieval.<row>.<metric>@k``, ``relevance.*``, ``answer.*``,
``verification.*``, ``abstention.*``, ``support.*``, ``kqa.*``, ``latency.*_ms``); :mod:`eval.suite.aggregate`
turns items into metrics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.report import write_json
from eval.suite.aggregate import ItemTable

SCHEMA = 1


def finish(meta: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole ``results.json`` document: metadata, pooled metrics, per-metric counts, items."""
    table = ItemTable(items)
    metrics = {k: (round(v, 4) if v is not None else None) for k, v in table.aggregate().items()}
    return {"schema": SCHEMA, "meta": meta, "metrics": metrics, "counts": table.counts(), "items": items}


def write(results: dict[str, Any], folder: Path) -> Path:
    """Write ``results.json`` into ``folder`` (created if needed); returns its path."""
    return write_json(results, folder / "results.json", indent=1)


def load(path: Path) -> dict[str, Any]:
    """Read a run's ``results.json`` (``path`` may be the file or its folder)."""
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no results.json there (is it a 'rag-eval run --out' folder?)")
    data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{file}: results schema {data.get('schema')!r}, expected {SCHEMA}")
    return data
