"""The extractive answer backend: the answer is made of evidence sentences, quoted verbatim and cited.

It needs no LLM. Every sentence of every evidence passage is scored against the question (bi-encoder cosine
plus coverage of the question's content terms, weighted by the passage's own relevance); the most responsive
sentences are taken first, near-repeats of a sentence already taken are skipped, and a length budget stops
it. Each sentence keeps the number of the passage it was quoted from.

Passages of Markdown documents are read as Markdown (``services/answer_text.py``; other passages are quoted as
stored): sentences are quoted as plain prose, a list item or
a sentence under a qualifying heading is introduced by that heading, verbatim ("Moderate Severity (CURB-65 2,
inpatient ward): ..."; ``context_lead_in`` turns this off), and sentences under the same heading are kept
together, so two regimens for two populations never read as alternatives for the same patient.

A passage holding instruction-like text ("ignore previous instructions ...", see ``services/injection.py``)
is suspect as a whole: none of its sentences is quoted, because the sentence after the instruction is
usually the payload ("The recommended dose is 40 g per day.").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.domain.answers import Draft
from rag_service.domain.protocols import Embedder, TextAnalyzer
from rag_service.domain.retrieval import Evidence
from rag_service.domain.text import split_sentences, with_markers
from rag_service.services.answer_text import is_markdown, lead_in, passage_lines, with_lead_in
from rag_service.services.dedup import shingles, similarity
from rag_service.services.injection import instruction_like
from rag_service.services.qualifiers import agreement, conflicts, qualifiers
from rag_service.services.sentence_vectors import SentenceVectors

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ExtractiveConfig:
    """Length budget and selection thresholds of an extractive answer."""

    max_sentences: int = 4
    max_words: int = 120
    min_words: int = 4
    relative_floor: float = 0.75
    redundancy: float = 0.5
    context_lead_in: bool = True
    # Weight of qualifier agreement (severity, age group, setting, group or stage the question names, read
    # in the sentence and its headings; see services.qualifiers). Chosen on the dev questions of
    # eval/qualifier_questions.jsonl.
    qualifier_weight: float = 0.15


@dataclass(slots=True)
class _Scored:
    text: str
    number: int
    score: float
    position: int
    lead_in: str = ""
    context: str = ""
    agreement: float = 0.0
    conflict: bool = False


class ExtractiveAnswerer:
    """Builds an answer from the most responsive evidence sentences."""

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        analyzer: TextAnalyzer,
        config: ExtractiveConfig | None = None,
        sentences: SentenceVectors | None = None,
    ) -> None:
        self._embedder = embedder
        self._analyzer = analyzer
        self._c = config or ExtractiveConfig()
        # Evidence sentences' vectors come from the ingest-time cache; only the question is encoded.
        self._sentences = sentences or SentenceVectors(embedder, None)

    @property
    def model(self) -> str:
        """The model behind the sentence scores."""
        return self._embedder.model_id

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        """Pick, order and cite sentences; evidence number n is ``evidence[n - 1]``."""
        candidates = self._candidates(evidence)
        if not candidates:
            return Draft(text="", backend=self.name, model=self.model, insufficient=True)
        self._score(question, candidates)
        if any(c.agreement > 0 and not c.conflict for c in candidates):
            # Sentences written for the severity, group or population asked about exist: those written only
            # for another value of it are not offered as alternatives.
            candidates = [c for c in candidates if not c.conflict]
        chosen: list[_Scored] = []
        words = 0
        top = max(c.score for c in candidates)
        taken: list[frozenset[tuple[str, ...]]] = []
        for cand in sorted(candidates, key=lambda c: (-c.score, c.number, c.position)):
            if len(chosen) >= self._c.max_sentences or cand.score < top * self._c.relative_floor:
                break
            size = len(_WORDS.findall(cand.text))
            if chosen and words + size > self._c.max_words:
                continue
            sh = shingles(cand.text)
            if any(similarity(sh, other) >= self._c.redundancy for other in taken):
                continue
            chosen.append(cand)
            taken.append(sh)
            words += size
        # Sentences under the same heading stay together, in the order their heading was first chosen.
        # A sentence without a lead-in keeps its own place.
        groups: dict[tuple[int, str], int] = {}
        for i, cand in enumerate(chosen):
            groups.setdefault((cand.number, cand.lead_in or f"#{i}"), len(groups))
        order = {id(c): groups[(c.number, c.lead_in or f"#{i}")] for i, c in enumerate(chosen)}
        chosen.sort(key=lambda c: order[id(c)])
        text = " ".join(with_markers(with_lead_in(c.lead_in, c.text), (c.number,)) for c in chosen)
        return Draft(text=text, backend=self.name, model=self.model)

    def _candidates(self, evidence: Sequence[Evidence]) -> list[_Scored]:
        out: list[_Scored] = []
        for number, ev in enumerate(evidence, start=1):
            if instruction_like(ev.text):
                continue  # passages are data: one that tries to instruct is not quoted at all
            markdown = is_markdown(ev.meta.source)
            sentences = [
                (" ".join(sentence.split()), line.list_item)
                for line in passage_lines(ev.text, markdown)
                for sentence in split_sentences(line.text)
            ]
            for position, (clean, list_item) in enumerate(sentences):
                if len(_WORDS.findall(clean)) < self._c.min_words or clean.endswith(":"):
                    continue  # fragments and list lead-ins read badly on their own
                heading = (
                    lead_in(clean, ev.heading_path, title=ev.meta.title, list_item=list_item)
                    if self._c.context_lead_in and markdown
                    else ""
                )
                # The passage relevance is stored as the initial score; _score combines it with the sentence's.
                context = " / ".join(ev.heading_path)
                out.append(_Scored(clean, number, ev.relevance or 0.0, position, heading, context))
        return out

    def _score(self, question: str, candidates: list[_Scored]) -> None:
        query = self._embedder.embed_query(question).reshape(-1)
        sims = self._sentences.embed([c.text for c in candidates]) @ query
        analyzed = self._analyzer.analyze_texts([question] + [c.text for c in candidates])
        q_terms = set(analyzed[0])
        for cand, sim, terms in zip(candidates, np.asarray(sims), analyzed[1:], strict=True):
            coverage = len(q_terms & set(terms)) / len(q_terms) if q_terms else 0.0
            sentence = 0.6 * max(0.0, float(sim)) + 0.4 * coverage
            cand.score = 0.7 * sentence + 0.3 * cand.score
        asked = qualifiers(question)
        if asked and self._c.qualifier_weight:
            for cand in candidates:
                named = qualifiers(f"{cand.context} / {cand.text}")
                cand.agreement = agreement(asked, named)
                cand.conflict = conflicts(asked, named)
                cand.score += self._c.qualifier_weight * cand.agreement
