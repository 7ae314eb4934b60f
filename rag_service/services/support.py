"""Default citation-support scorer: does the cited evidence back this sentence?

No NLI model can be assumed, so the default combines what we have, aimed first at the errors that hurt
patients:

* **numbers, doses and units** — every number in the sentence (with the unit that follows it) must occur in
  the cited passages; a changed dose or unit caps the score near zero;
* **negation** — the sentence and its best-matching evidence must agree on negation ("should" versus
  "should not", "avoid", "contraindicated"); a flipped one caps the score near zero;
* **wording and meaning** — coverage of the sentence's content terms (stemmed) by the best evidence sentence
  or pair of sentences, combined with the bi-encoder cosine between them; a sentence cited to the wrong
  passage, or with no evidence sentence behind it, scores low.

A sentence quoted verbatim from a cited passage scores 1.0. The scorer is a heuristic, not an entailment
model: paraphrases that change meaning in other ways (a wrong population, a reversed comparison) can pass.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.adapters.bm25_index import analyze_texts
from rag_service.domain.answers import SupportResult
from rag_service.domain.protocols import Embedder, SupportClaim
from rag_service.services.reranking import split_sentences

CITATION_MARK = re.compile(r"\s*\[(\d{1,3})\]")
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(%|[a-zA-Zµμ]+(?:/[a-zA-Z]+)?)?")
_NEGATION = re.compile(
    r"\b(not|no|never|none|neither|nor|without|cannot|can't|don't|doesn't|isn't|aren't|shouldn't|won't|"
    r"wasn't|weren't|didn't|avoid|avoided|contraindicated|unsafe|ineffective)\b",
    re.IGNORECASE,
)
_UNIT_ALIASES = {
    "µg": "mcg",
    "μg": "mcg",
    "ug": "mcg",
    "milligrams": "mg",
    "milligram": "mg",
    "grams": "g",
    "gram": "g",
    "ml": "ml",
    "millilitres": "ml",
    "milliliters": "ml",
    "hours": "h",
    "hour": "h",
    "hrs": "h",
    "hr": "h",
    "minutes": "min",
    "minute": "min",
    "mins": "min",
    "days": "day",
    "weeks": "week",
    "months": "month",
    "years": "year",
    "percent": "%",
}
# Words after a number that are not units (so "3 patients" does not demand "3 patients" verbatim).
_MAX_UNIT_LEN = 12
CAP = 0.15


def strip_markers(text: str) -> str:
    """The sentence without its ``[n]`` citation markers."""
    return CITATION_MARK.sub("", text).strip()


def normalise(text: str) -> str:
    """Lower-cased, whitespace-collapsed text for verbatim comparison."""
    return _SPACE.sub(" ", text.lower()).strip()


def numbers(text: str) -> set[tuple[str, str]]:
    """(number, unit) pairs of a text; the unit is '' when none follows or it is not unit-like."""
    out: set[tuple[str, str]] = set()
    for value, unit in _NUMBER.findall(text):
        value = value.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", value) else value.replace(",", "")
        u = (unit or "").lower()
        u = _UNIT_ALIASES.get(u, u)
        if len(u) > _MAX_UNIT_LEN or (u and u.isalpha() and len(u) > 5 and u not in _UNIT_ALIASES.values()):
            u = ""  # a word, not a unit
        out.add((value, u))
    return out


def negations(text: str) -> int:
    """How many negation cues a text has."""
    return len(_NEGATION.findall(text))


def numbers_missing(claim: str, evidence: str) -> list[str]:
    """Numbers (with units) of the claim that the evidence does not contain."""
    have = numbers(evidence)
    values = {v for v, _ in have}
    missing: list[str] = []
    for value, unit in sorted(numbers(claim)):
        if value not in values or (unit and (value, unit) not in have):
            missing.append(f"{value} {unit}".strip())
    return missing


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence to check and the passages it cites."""

    text: str
    passages: tuple[str, ...]


class HeuristicSupportScorer:
    """Numbers, negation, term coverage and bi-encoder cosine against the best evidence sentence(s)."""

    name = "heuristic"

    def __init__(self, embedder: Embedder | None, cosine_weight: float = 0.45) -> None:
        self._embedder = embedder
        self._w_cos = cosine_weight if embedder is not None else 0.0

    def score(self, claims: Sequence[SupportClaim]) -> list[SupportResult]:
        """Support of each claim by its own cited passages."""
        texts = [strip_markers(c.text) for c in claims]
        results: list[SupportResult | None] = [self._quoted(t, c) for t, c in zip(texts, claims, strict=True)]
        todo = [i for i, r in enumerate(results) if r is None]
        if todo:
            units_of = [self._units(claims[i].passages) for i in todo]
            cos = self._cosines([texts[i] for i in todo], units_of)
            analyzed = analyze_texts([texts[i] for i in todo] + [u for units in units_of for u in units])
            claim_terms, unit_terms = analyzed[: len(todo)], iter(analyzed[len(todo) :])
            for j, i in enumerate(todo):
                terms = [set(next(unit_terms)) for _ in units_of[j]]
                results[i] = self._one(texts[i], claims[i], set(claim_terms[j]), units_of[j], terms, cos[j])
        return [r for r in results if r is not None]

    @staticmethod
    def _quoted(text: str, claim: SupportClaim) -> SupportResult | None:
        """The result for a claim with no evidence or quoted verbatim; None when it needs scoring."""
        if not claim.passages:
            return SupportResult(0.0, None, ("no cited evidence",))
        if normalise(text) and normalise(text) in normalise(" ".join(claim.passages)):
            return SupportResult(1.0, text, ("quoted verbatim from the cited evidence",))
        return None

    def _one(
        self,
        text: str,
        claim: SupportClaim,
        claim_terms: set[str],
        units: list[str],
        unit_terms: list[set[str]],
        cosines: list[float],
    ) -> SupportResult:
        if not units:
            return SupportResult(0.0, None, ("no cited evidence",))
        joined = " ".join(claim.passages)
        best, best_unit = -1.0, units[0]
        for unit, terms, cos in zip(units, unit_terms, cosines, strict=True):
            coverage = len(claim_terms & terms) / len(claim_terms) if claim_terms else 0.0
            score = (1 - self._w_cos) * coverage + self._w_cos * max(0.0, cos)
            if score > best:
                best, best_unit = score, unit
        reasons: list[str] = []
        missing = numbers_missing(text, joined)
        if missing:
            reasons.append("numbers or units not in the cited evidence: " + ", ".join(missing[:5]))
        if (negations(text) > 0) != (negations(best_unit) > 0):
            reasons.append("negation differs from the best-matching evidence sentence")
        score = min(best, CAP) if reasons else best
        return SupportResult(round(max(0.0, score), 4), best_unit, tuple(reasons))

    @staticmethod
    def _units(passages: Sequence[str]) -> list[str]:
        """Evidence sentences and adjacent pairs (a claim may merge two sentences)."""
        units: list[str] = []
        for passage in passages:
            sentences = split_sentences(passage) or [passage]
            units.extend(sentences)
            units.extend(f"{a} {b}" for a, b in itertools.pairwise(sentences))
        return units

    def _cosines(self, claims: list[str], units_of: list[list[str]]) -> list[list[float]]:
        if self._embedder is None or not claims:
            return [[0.0] * len(u) for u in units_of]
        distinct = list(dict.fromkeys(u for units in units_of for u in units))
        if not distinct:
            return [[] for _ in units_of]
        vectors = self._embedder.embed_documents(claims + distinct)
        claim_vecs, unit_vecs = vectors[: len(claims)], vectors[len(claims) :]
        index = {u: i for i, u in enumerate(distinct)}
        out: list[list[float]] = []
        for i, units in enumerate(units_of):
            rows = np.asarray([index[u] for u in units], dtype=np.int64)
            sims = unit_vecs[rows] @ claim_vecs[i] if len(rows) else np.zeros(0)
            out.append([float(s) for s in sims])
        return out
