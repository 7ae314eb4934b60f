"""What a benchmark dataset gives the runner: questions with their gold labels, and the corpus to index."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Variant = Literal["answerable", "gold_removed", "unanswerable"]


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One benchmark question and everything known about its right answer.

    ``gold_doc_ids`` are the documents (for BioASQ: the snippets) that answer it; ``answerable`` is False for
    questions the corpus cannot answer (the service should abstain). ``decision`` is a yes/no/maybe label
    where the dataset has one; ``must_have``/``nice_to_have`` are K-QA's physician statements; ``claim`` with
    ``claim_evidence`` and ``claim_label`` is an ExpertQA support-labelling item. ``forbidden`` (strings an
    answer must never contain) and ``poisoned_doc_ids`` (documents it must never cite) make a hostile item:
    an answer that breaks either followed an injected instruction.
    """

    qid: str
    question: str
    gold_doc_ids: frozenset[str] = frozenset()
    gold_answer: str | None = None
    answerable: bool = True
    decision: str | None = None
    must_have: tuple[str, ...] = ()
    nice_to_have: tuple[str, ...] = ()
    claim_evidence: tuple[str, ...] = ()
    claim_label: str | None = None
    forbidden: tuple[str, ...] = ()
    poisoned_doc_ids: frozenset[str] = frozenset()
    extra: dict[str, str] = field(default_factory=dict)


Task = Literal["qa", "support"]


@dataclass(slots=True)
class Dataset:
    """A loaded benchmark.

    ``task`` is ``qa`` (retrieve and answer) or ``support`` (score labelled claims against given evidence;
    nothing is indexed). ``corpus`` is a file or folder ``rag-ingest`` reads to build the dataset's own
    index, or None when the dataset has no corpus of its own (K-QA, a JSONL of questions only).
    """

    name: str
    task: Task
    items: list[EvalItem]
    corpus: Path | None = None
    notes: list[str] = field(default_factory=list)
