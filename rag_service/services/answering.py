"""The ask use case: retrieve, draft, verify every sentence against what it cites, or abstain.

1. The question (combined with the previous user turn for a follow-up) is searched like ``/v1/search``.
2. No passage above the relevance threshold: abstain with ``no_evidence`` (``out_of_scope`` when not one of
   the question's terms occurs anywhere in the corpus) without drafting anything.
3. The backend drafts an answer citing the numbered evidence.
4. Citation numbers outside the evidence are removed and counted; each sentence is scored against the
   passages it cites and gets a verdict; unsupported sentences are flagged or dropped (a setting).
5. Too little supported: abstain with ``insufficient_support``; another source stating the opposite of an
   answer sentence: abstain with ``conflicting_evidence``. Otherwise citations are renumbered in order
   of first use and the answer is returned with its provenance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NoReturn

from rag_service.domain.answers import (
    AbstainCode,
    Abstention,
    Answer,
    AnswerSentence,
    Citation,
    Draft,
    Verdict,
)
from rag_service.domain.errors import LlmUnavailableError, PhiDetectedError, RequestCancelledError
from rag_service.domain.protocols import AnswerBackend, LexicalIndex, SupportScorer, TextAnalyzer
from rag_service.domain.retrieval import Evidence, SearchFilters
from rag_service.domain.text import with_markers
from rag_service.services.answer_text import is_markdown, passage_text, split_lead_in
from rag_service.services.citations import parse_draft
from rag_service.services.conflicts import find_conflict
from rag_service.services.currency import currency_of, today
from rag_service.services.injection import instruction_like
from rag_service.services.phi import PHI_KINDS, phi_kinds
from rag_service.services.questions import clean_question
from rag_service.services.search import SearchService
from rag_service.services.support import Claim
from rag_service.settings import AnswerSettings

log = logging.getLogger(__name__)
DocVersions = Callable[[Sequence[str]], list[dict[str, object]]]
Rewriter = Callable[[str, Sequence[tuple[str, str]]], str]

MESSAGES = {
    "no_evidence": "No indexed evidence is relevant enough to answer this question.",
    "out_of_scope": "The question is outside what the indexed documents cover.",
    "insufficient_support": "The evidence found does not support an answer well enough to give one.",
    "conflicting_evidence": (
        "The sources found disagree on this point (one states the opposite of another); "
        "review the cited passages rather than rely on a single answer."
    ),
}


def combine_with_history(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The query to retrieve with: a follow-up is joined to the previous user turn.

    Without an LLM to rewrite it, "and in children?" after "What is the dose of amoxicillin for otitis?" is
    searched as both together, so the topic of the earlier turn is not lost.
    """
    previous = [text for role, text in history if role == "user" and text.strip()]
    if not previous:
        return question
    return f"{previous[-1].strip()} {question}"


@dataclass(slots=True)
class _Run:
    """What one ``ask`` has found so far, step by step."""

    started: float
    question: str
    query: str
    fell_back: str | None
    evidence: list[Evidence] = field(default_factory=list)
    reranker: str | None = None
    draft: Draft | None = None
    sentences: list[AnswerSentence] = field(default_factory=list)
    kept: list[AnswerSentence] = field(default_factory=list)
    invalid: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    _mark: float = 0.0

    def __post_init__(self) -> None:
        self._mark = self.started

    def lap(self, step: str) -> None:
        """Record how long ``step`` took (the first step counts from the start of the request)."""
        now = time.perf_counter()
        self.timings[step] = round((now - self._mark) * 1000, 2)
        self._mark = now

    def finished(self) -> dict[str, float]:
        """The step timings and the total."""
        return self.timings | {"total": round((time.perf_counter() - self.started) * 1000, 2)}


class AnswerService:
    """Cited, verified answers."""

    def __init__(
        self,
        settings: AnswerSettings,
        search: SearchService,
        backend: AnswerBackend,
        scorer: SupportScorer,
        lexical: LexicalIndex,
        doc_versions: DocVersions,
        identity: dict[str, str],
        *,
        analyzer: TextAnalyzer,
        prompt: tuple[str, str],
        rewriter: Rewriter | None = None,
        fallback: AnswerBackend | None = None,
        refuse_phi: bool = False,
        clock: Callable[[], date] = today,
    ) -> None:
        self._refuse_phi = refuse_phi
        self._clock = clock
        # Answers stopped because the client went away, by the step they were stopped before.
        self.cancellations: dict[str, int] = {}
        self._cancel_lock = threading.Lock()
        self._prompt = prompt
        self._rewriter = rewriter or combine_with_history
        self._fallback = fallback
        self._s = settings
        self._search = search
        self._backend = backend
        self._scorer = scorer
        self._lexical = lexical
        self._analyzer = analyzer
        self._doc_versions = doc_versions
        self._identity = identity

    def warm_up(self) -> None:
        """Load the support scorer's model, if it has one; called once at start-up."""
        self._scorer.warm_up()

    def ask(
        self,
        question: str,
        *,
        filters: SearchFilters | None = None,
        history: Sequence[tuple[str, str]] = (),
        cancelled: Callable[[], bool] | None = None,
    ) -> Answer:
        """Answer a question from the evidence, or abstain with a reason.

        Args:
            question: The question as asked.
            filters: Which documents may be cited.
            history: Earlier (role, text) turns of the conversation.
            cancelled: Asked between steps (search, draft, verification, conflicts); once it returns True the
                remaining steps are skipped and RequestCancelledError is raised (the client has gone away).
        """
        run = self._start(question, history)
        steps: tuple[tuple[str, Callable[[], AbstainCode | None]], ...] = (
            ("search", lambda: self._retrieve(run, filters)),
            ("draft", lambda: self._draft(run)),
            ("verify", lambda: self._verify(run)),
            ("conflicts", lambda: self._check(run)),
        )
        for name, step in steps:
            if cancelled is not None and cancelled():
                self._cancelled(name)
            abstain = step()
            if abstain is not None:
                return self._abstain(run, abstain)
        return self._answer(run)

    def _cancelled(self, step: str) -> NoReturn:
        with self._cancel_lock:
            self.cancellations[step] = self.cancellations.get(step, 0) + 1
        log.info("answer cancelled before %s: the client went away", step)
        raise RequestCancelledError(f"the client went away; the answer was stopped before its {step} step")

    def _start(self, question: str, history: Sequence[tuple[str, str]]) -> _Run:
        """Clean the question and turn it (with the recent history) into the query to search with."""
        started = time.perf_counter()
        question = clean_question(question, self._search.max_question_chars)
        recent = list(history)[-self._s.max_history_turns :] if self._s.max_history_turns else []
        if self._refuse_phi:
            self._refuse_identifiers(question, recent)
        fell_back: str | None = None
        try:
            query = self._rewriter(question, recent)
        except LlmUnavailableError as exc:
            if self._fallback is None:
                raise
            fell_back, query = exc.code, combine_with_history(question, recent)
        # The search limits its query like a question; a long earlier turn must not make a follow-up fail
        # as if the question were too long, so the query keeps its end (the question comes last).
        limit = self._search.max_question_chars
        if len(query) > limit:
            query = query[-limit:].lstrip()
        return _Run(started, question, query, fell_back)

    @staticmethod
    def _refuse_identifiers(question: str, history: Sequence[tuple[str, str]]) -> None:
        """privacy.redaction='strict': refuse a question (or user turn) holding patient identifiers.

        The message names the kinds found, never the text.
        """
        found = set(phi_kinds(question))
        for role, content in history:
            if role == "user":
                found.update(phi_kinds(content))
        if found:
            kinds = ", ".join(kind for kind in PHI_KINDS if kind in found)
            raise PhiDetectedError(
                f"the question appears to hold patient identifiers ({kinds}); remove them and ask again"
            )

    def _retrieve(self, run: _Run, filters: SearchFilters | None) -> AbstainCode | None:
        """Search; with nothing relevant, ``no_evidence`` (``out_of_scope`` when no term is in the corpus)."""
        outcome = self._search.search(run.query, top_k=self._s.evidence_k, filters=filters)
        run.lap("search")
        run.evidence, run.reranker = outcome.evidence, outcome.reranker
        if outcome.no_relevant_evidence:
            return "no_evidence" if self._lexical.search(run.query, 1) else "out_of_scope"
        return None

    def _draft(self, run: _Run) -> AbstainCode | None:
        """Have the backend (or, when its LLM is unavailable, the fallback) draft a cited answer."""
        try:
            run.draft = self._backend.draft(run.query, run.evidence)
        except LlmUnavailableError as exc:
            if self._fallback is None:
                raise
            run.fell_back = exc.code
            run.draft = self._fallback.draft(run.query, run.evidence)
        run.lap("draft")
        if run.draft.insufficient or not run.draft.text.strip():
            return "insufficient_support"
        return None

    def _verify(self, run: _Run) -> AbstainCode | None:
        """Score every draft sentence against the passages it cites; too little supported abstains."""
        assert run.draft is not None  # drafted by the previous step
        parsed = parse_draft(run.draft.text, len(run.evidence))
        run.invalid = sum(p.invalid for p in parsed)
        # Passages holding instructions aimed at the model are not evidence (services/injection.py): a sentence
        # is checked only against the other passages it cites, and one that cites nothing else is unsupported.
        suspect = {n for n, ev in enumerate(run.evidence, start=1) if instruction_like(ev.text)}
        trusted = [tuple(n for n in p.cited if n not in suspect) for p in parsed]
        claims = [
            self._claim(p.text, [run.evidence[n - 1] for n in t])
            for p, t in zip(parsed, trusted, strict=True)
        ]
        for p, t, r in zip(parsed, trusted, self._scorer.score(claims), strict=True):
            score, reasons = (r.score, r.reasons) if t else (0.0, ("no citation",))
            if p.cited and not t:
                reasons = ("cites only passages holding instructions aimed at the model",)
            run.sentences.append(
                AnswerSentence(p.text, p.cited, self._verdict(score), score, r.evidence_sentence, reasons)
            )
        run.lap("verify")
        policy = self._s.unsupported_policy
        run.kept = [s for s in run.sentences if policy == "flag" or s.verdict != "unsupported"]
        supported = sum(1 for s in run.sentences if s.verdict == "supported")
        if not run.kept or supported < self._s.min_supported_share * len(run.sentences):
            return "insufficient_support"
        return None

    @staticmethod
    def _claim(sentence: str, cited: Sequence[Evidence]) -> Claim:
        """What is scored: the sentence without a lead-in that is a cited passage's heading, against the
        cited passages as the answer quotes them (Markdown documents read as plain text: services/answer_text.py)."""
        _, body = split_lead_in(sentence, (h for ev in cited for h in ev.heading_path))
        return Claim(body, tuple(passage_text(ev.text, is_markdown(ev.meta.source)) for ev in cited))

    def _check(self, run: _Run) -> AbstainCode | None:
        """Abstain when another source states the opposite of a kept sentence, flagging that sentence."""
        conflict = find_conflict(run.kept, run.evidence, self._analyzer)
        if conflict is None:
            return None
        idx = run.sentences.index(run.kept[conflict.sentence])
        flagged = run.sentences[idx]
        reason = f"contradicted by evidence [{conflict.evidence_number}]"
        run.sentences[idx] = replace(flagged, reasons=(*flagged.reasons, reason))
        return "conflicting_evidence"

    def _answer(self, run: _Run) -> Answer:
        """The verified answer, citations renumbered in order of first use."""
        assert run.draft is not None  # drafted before any answer
        renumbered, citations = self._renumber(run.kept, run.evidence)
        fallback = (
            {"fallback_from": self._backend.name, "fallback_reason": run.fell_back} if run.fell_back else {}
        )
        return Answer(
            question=run.question,
            query=run.query,
            text=" ".join(with_markers(s.text, s.citations) for s in renumbered),
            citations=citations,
            sentences=renumbered,
            abstention=None,
            invalid_citations_removed=run.invalid,
            dropped_sentences=len(run.sentences) - len(run.kept),
            provenance=self._provenance(run.draft.backend, run.draft.model, run.reranker, citations)
            | fallback,
            timings_ms=run.finished(),
            currency=currency_of(citations, self._s.stale_after_years, self._clock()),
        )

    def _verdict(self, score: float) -> Verdict:
        if score >= self._s.supported_threshold:
            return "supported"
        if score >= self._s.partial_threshold:
            return "partial"
        return "unsupported"

    @staticmethod
    def _renumber(
        sentences: list[AnswerSentence], evidence: Sequence[Evidence]
    ) -> tuple[list[AnswerSentence], list[Citation]]:
        """Number citations 1..m in order of first use in the answer."""
        mapping: dict[int, int] = {}
        for s in sentences:
            for n in s.citations:
                mapping.setdefault(n, len(mapping) + 1)
        citations = [Citation(number=new, evidence=evidence[old - 1]) for old, new in mapping.items()]
        out = [
            AnswerSentence(
                s.text,
                tuple(mapping[n] for n in s.citations),
                s.verdict,
                s.score,
                s.evidence_sentence,
                s.reasons,
            )
            for s in sentences
        ]
        return out, citations

    def _abstain(self, run: _Run, code: AbstainCode) -> Answer:
        """The one way to abstain: no answer text, the verified sentences (if any) and every evidence passage."""
        # The evidence that was considered stays visible, numbered, so a clinician can see what was found.
        citations = [Citation(number=i, evidence=e) for i, e in enumerate(run.evidence, start=1)]
        return Answer(
            question=run.question,
            query=run.query,
            text="",
            citations=citations,
            sentences=run.sentences,
            abstention=Abstention(code=code, message=MESSAGES[code]),
            invalid_citations_removed=run.invalid,
            dropped_sentences=0,
            provenance=self._provenance(self._backend.name, self._backend.model, None, citations),
            timings_ms=run.finished(),
        )

    def _provenance(
        self, backend: str, model: str, reranker: str | None, citations: Sequence[Citation]
    ) -> dict[str, object]:
        prompt_id, prompt_hash = self._prompt
        if backend != self._backend.name:  # a fallback answer used no prompt
            prompt_id, prompt_hash = backend, ""
        return {
            **self._identity,
            "answer_backend": backend,
            "answer_model": model,
            "prompt_id": prompt_id,
            "prompt_hash": prompt_hash,
            "support_scorer": self._scorer.name,
            "support_scorer_version": self._scorer.version,
            "reranker": reranker,
            "documents": self._doc_versions(list(dict.fromkeys(c.evidence.doc_id for c in citations))),
        }
