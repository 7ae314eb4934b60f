"""The scripted model: replies to the service's prompts as a real model would, faithfully or with one error.

* answer prompt: the faithful answer of the question's PubMedQA item (``faithful``), or that answer with
  one alteration (``hallucinate``), each recorded; ``INSUFFICIENT_EVIDENCE`` when the question is not a
  known item or none of its abstract's passages is in the evidence;
* rewrite prompt: the last question unchanged;
* judge prompt: a crude term-coverage verdict, only so that ``--judge llm_judge`` runs end to end (it is not
  a measurement of anything).

Deterministic: the same request always gets the same reply. No network, no clock, no sleeping.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from eval.llm_scenarios.alterations import alter
from eval.llm_scenarios.answers import PubMedQaKey, faithful_answer, own_passages, render
from eval.llm_scenarios.requests import (
    AnswerRequest,
    JudgeRequest,
    RewriteRequest,
    Statement,
    parse_request,
)
from rag_service.adapters.bm25_index import analyze_texts
from rag_service.services.llm_answer import SENTINEL

Scenario = Literal["faithful", "hallucinate"]
SCENARIOS: tuple[Scenario, ...] = ("faithful", "hallucinate")
_SUPPORTED_COVERAGE = 0.8
_PARTIAL_COVERAGE = 0.5


def _verdict(statement: Statement) -> str:
    terms, evidence = (set(t) for t in analyze_texts([statement.text, statement.evidence]))
    coverage = len(terms & evidence) / len(terms) if terms else 0.0
    if coverage >= _SUPPORTED_COVERAGE:
        return "SUPPORTED"
    return "PARTIAL" if coverage >= _PARTIAL_COVERAGE else "UNSUPPORTED"


def judge(request: JudgeRequest) -> str:
    """SUPPORTED / PARTIAL / UNSUPPORTED by the share of each statement's terms found in its evidence."""
    if not request.numbered:
        return _verdict(request.statements[0])
    return "\n".join(f"{s.number}: {_verdict(s)}" for s in request.statements)


class ScriptedModel:
    """Chat replies for one scenario, with every alteration it makes kept in order (and appended to a log).

    Args:
        key: The PubMedQA items the questions come from.
        scenario: ``faithful`` or ``hallucinate``.
        seed: Seeds the choice of alteration, together with the item's PMID.
        log: A JSONL file each alteration is appended to as it is made (the caller empties it first).
    """

    def __init__(self, key: PubMedQaKey, scenario: Scenario, seed: int = 0, log: Path | None = None) -> None:
        self._key = key
        self.scenario = scenario
        self._seed = seed
        self._log = log
        self.alterations: list[dict[str, Any]] = []

    def reply(self, messages: Sequence[Mapping[str, Any]]) -> str:
        """The assistant's reply to a chat request."""
        request = parse_request(messages)
        if isinstance(request, RewriteRequest):
            return request.question
        if isinstance(request, JudgeRequest):
            return judge(request)
        if isinstance(request, AnswerRequest):
            return self._answer(request)
        return SENTINEL

    def _answer(self, request: AnswerRequest) -> str:
        abstract = self._key.lookup(request.question)
        if abstract is None:
            return SENTINEL
        own = own_passages(abstract, request.passages)
        sentences = faithful_answer(abstract, own, request.max_sentences)
        if sentences is None:
            return SENTINEL
        if self.scenario == "hallucinate":
            foreign = [p for p in request.passages if p not in own]
            rng = random.Random(f"{self._seed}:{abstract.pmid}")  # noqa: S311 - a reproducible scenario
            altered = alter(sentences, foreign, rng)
            if altered is not None:
                sentences, alteration = altered
                self._record({"pmid": abstract.pmid, "question": request.question, **alteration.as_record()})
        return render(sentences)

    def _record(self, record: dict[str, Any]) -> None:
        self.alterations.append(record)
        if self._log is not None:
            with self._log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
