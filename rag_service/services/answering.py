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

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from rag_service.domain.answers import Abstention, Answer, AnswerSentence, Citation, Verdict
from rag_service.domain.errors import LlmUnavailableError
from rag_service.domain.protocols import AnswerBackend, LexicalIndex, SupportScorer, TextAnalyzer
from rag_service.domain.retrieval import Evidence, SearchFilters
from rag_service.domain.text import with_markers
from rag_service.services.citations import parse_draft
from rag_service.services.conflicts import find_conflict
from rag_service.services.questions import clean_question
from rag_service.services.search import SearchService
from rag_service.services.support import Claim
from rag_service.settings import AnswerSettings

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
    ) -> None:
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

    def ask(
        self,
        question: str,
        *,
        filters: SearchFilters | None = None,
        history: Sequence[tuple[str, str]] = (),
    ) -> Answer:
        """Answer a question from the evidence, or abstain with a reason."""
        started = time.perf_counter()
        question = clean_question(question, self._search.max_question_chars)
        history = list(history)[-self._s.max_history_turns :] if self._s.max_history_turns else []
        fell_back: str | None = None
        try:
            query = self._rewriter(question, history)
        except LlmUnavailableError as exc:
            if self._fallback is None:
                raise
            fell_back, query = exc.code, combine_with_history(question, history)
        outcome = self._search.search(query, top_k=self._s.evidence_k, filters=filters)
        timings = {"search": round((time.perf_counter() - started) * 1000, 2)}
        evidence = outcome.evidence
        if outcome.no_relevant_evidence:
            code = "no_evidence" if self._lexical.search(query, 1) else "out_of_scope"
            return self._abstain(question, query, code, [], evidence, timings, started)

        mark = time.perf_counter()
        try:
            draft = self._backend.draft(query, evidence)
        except LlmUnavailableError as exc:
            if self._fallback is None:
                raise
            fell_back = exc.code
            draft = self._fallback.draft(query, evidence)
        timings["draft"] = round((time.perf_counter() - mark) * 1000, 2)
        if draft.insufficient or not draft.text.strip():
            return self._abstain(question, query, "insufficient_support", [], evidence, timings, started)

        mark = time.perf_counter()
        parsed = parse_draft(draft.text, len(evidence))
        invalid = sum(p.invalid for p in parsed)
        claims = [Claim(p.text, tuple(evidence[n - 1].text for n in p.cited)) for p in parsed]
        results = self._scorer.score(claims)
        sentences: list[AnswerSentence] = []
        for p, r in zip(parsed, results, strict=True):
            score = r.score if p.cited else 0.0
            reasons = r.reasons if p.cited else ("no citation",)
            sentences.append(
                AnswerSentence(p.text, p.cited, self._verdict(score), score, r.evidence_sentence, reasons)
            )
        timings["verify"] = round((time.perf_counter() - mark) * 1000, 2)
        kept = [s for s in sentences if self._s.unsupported_policy == "flag" or s.verdict != "unsupported"]
        dropped = len(sentences) - len(kept)
        supported = sum(1 for s in sentences if s.verdict == "supported")
        if not kept or supported < self._s.min_supported_share * len(sentences):
            answer = self._abstain(
                question, query, "insufficient_support", sentences, evidence, timings, started
            )
            answer.invalid_citations_removed = invalid
            return answer
        conflict = find_conflict(kept, evidence, self._analyzer)
        if conflict is not None:
            flagged = list(sentences)
            idx = sentences.index(kept[conflict.sentence])
            flagged[idx] = replace(
                flagged[idx],
                reasons=(*flagged[idx].reasons, f"contradicted by evidence [{conflict.evidence_number}]"),
            )
            answer = self._abstain(
                question, query, "conflicting_evidence", flagged, evidence, timings, started
            )
            answer.invalid_citations_removed = invalid
            return answer
        renumbered, citations = self._renumber(kept, evidence)
        text = " ".join(with_markers(s.text, s.citations) for s in renumbered)
        return Answer(
            question=question,
            query=query,
            text=text,
            citations=citations,
            sentences=renumbered,
            abstention=None,
            invalid_citations_removed=invalid,
            dropped_sentences=dropped,
            provenance=self._provenance(draft.backend, draft.model, outcome.reranker, citations)
            | ({"fallback_from": self._backend.name, "fallback_reason": fell_back} if fell_back else {}),
            timings_ms=timings | {"total": round((time.perf_counter() - started) * 1000, 2)},
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

    def _abstain(
        self,
        question: str,
        query: str,
        code: str,
        sentences: list[AnswerSentence],
        evidence: Sequence[Evidence],
        timings: dict[str, float],
        started: float,
    ) -> Answer:
        # The evidence that was considered stays visible, numbered, so a clinician can see what was found.
        citations = [Citation(number=i, evidence=e) for i, e in enumerate(evidence, start=1)]
        return Answer(
            question=question,
            query=query,
            text="",
            citations=citations,
            sentences=sentences,
            abstention=Abstention(code=code, message=MESSAGES[code]),  # type: ignore[arg-type]
            invalid_citations_removed=0,
            dropped_sentences=0,
            provenance=self._provenance(self._backend.name, self._backend.model, None, citations),
            timings_ms=timings | {"total": round((time.perf_counter() - started) * 1000, 2)},
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
