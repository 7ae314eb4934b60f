"""Default citation-support scorer: does the cited evidence back this sentence, even when paraphrased?

Signals that a reviewer can read (see :mod:`rag_service.services.support_features`) are combined by a small
logistic regression fitted on development data (``python -m eval.fit_support``) and shipped with the package
as a versioned file; its version is recorded with every answer. On top of the model, hard checks veto:

* **numbers, doses and units** — every number of the sentence (with its unit) and every coded name that holds
  a number ("CA 19-9") must be stated in the evidence sentences the claim rests on; formatting may differ
  ("1,000 mg" and "1000 mg", "5%" and "5 percent"), the value may not. A miss caps the score near zero;
* **bad input** — an empty sentence, one over 2,000 words, or one citing nothing scores 0 with its reason.

Negation is read by clause and by meaning ("did not differ" agrees with "no significant difference"); a
clause whose polarity differs from the evidence clause it matches is a feature of the model and a reason
shown with a sentence that is not supported. A sentence quoted verbatim from a cited passage scores 1.0.
The scorer is deterministic. It is not an entailment model: it misses some flipped negations and meaning
changes that keep the words (a reversed comparison); see ``eval/README.md`` for measured figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag_service.domain.answers import SupportResult
from rag_service.domain.protocols import Embedder, SupportClaim, TextAnalyzer
from rag_service.domain.text import strip_markers
from rag_service.services.sentence_vectors import SentenceVectors
from rag_service.services.support_features import FEATURES, ClaimFeatures, FeatureExtractor
from rag_service.services.support_model import SupportModel

_SPACE = re.compile(r"\s+")
CAP = 0.15
MAX_CLAIM_WORDS = 2000


def normalise(text: str) -> str:
    """Lower-cased, whitespace-collapsed text for verbatim comparison."""
    return _SPACE.sub(" ", text.lower()).strip()


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence to check and the passages it cites."""

    text: str
    passages: tuple[str, ...]


class CalibratedSupportScorer:
    """Interpretable features combined by the shipped model, with number and unit checks as vetoes."""

    name = "calibrated"

    def __init__(
        self,
        embedder: Embedder | None,
        model: SupportModel,
        analyzer: TextAnalyzer,
        sentences: SentenceVectors | None = None,
    ) -> None:
        if model.features != FEATURES:
            raise ValueError(f"support model {model.version} does not match the features of this version")
        self._features = FeatureExtractor(embedder, analyzer, sentences)
        self._embedder = embedder
        self._model = model

    @property
    def version(self) -> str:
        """The fitted model's version, recorded with every answer."""
        return self._model.version

    def warm_up(self) -> None:
        """Load the embedder behind the cosine features (the fitted model is read at construction)."""
        if self._embedder is not None:
            self._embedder.warm_up()

    def score(self, claims: Sequence[SupportClaim]) -> list[SupportResult]:
        """Support of each claim by its own cited passages."""
        texts = [strip_markers(c.text) for c in claims]
        results: list[SupportResult | None] = [
            decided_result(t, c.passages) for t, c in zip(texts, claims, strict=True)
        ]
        todo = [i for i, r in enumerate(results) if r is None]
        features = self._features.extract([(texts[i], claims[i].passages) for i in todo])
        for i, f in zip(todo, features, strict=True):
            results[i] = calibrated_result(self._model, f)
        return [r for r in results if r is not None]


def decided_result(text: str, passages: Sequence[str]) -> SupportResult | None:
    """The result of a claim that needs no model (no evidence, empty, too long, quoted); else None."""
    if not text:
        return SupportResult(0.0, None, ("empty sentence",))
    if not any(p.strip() for p in passages):
        return SupportResult(0.0, None, ("no cited evidence",))
    if len(text.split()) > MAX_CLAIM_WORDS:
        return SupportResult(0.0, None, (f"sentence too long to verify (over {MAX_CLAIM_WORDS:,} words)",))
    if normalise(text) in normalise(" ".join(passages)):
        return SupportResult(1.0, text, ("quoted verbatim from the cited evidence",))
    return None


def calibrated_result(model: SupportModel, f: ClaimFeatures) -> SupportResult:
    """The model's score for one claim's features, with the number and restated-negation checks as vetoes."""
    score = model.to_score(model.probability(f.values))
    supported = model.to_score(model.threshold_supported)
    reasons: list[str] = []
    if f.missing_local:
        where = "cited evidence" if f.missing_numbers else "evidence sentences it rests on"
        reasons.append(f"numbers or units not in the {where}: " + ", ".join(f.missing_local[:5]))
        score = min(score, CAP)
    elif f.vetoed:
        reasons.append(f"negation differs from the evidence clause it restates: {f.flipped_clause!r}")
        score = min(score, CAP)
    elif f.flipped_clause is not None and score < supported:
        reasons.append("negation or direction differs from the matching evidence clause")
    if not reasons and score < supported:
        reasons.append("the cited evidence does not clearly state this")
    return SupportResult(round(max(0.0, min(1.0, score)), 4), f.best_sentence, tuple(reasons))
