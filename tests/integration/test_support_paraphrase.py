"""The default support scorer with the real encoder: a faithful paraphrase passes, the harmful edits do not."""

from __future__ import annotations

import pytest

from rag_service.adapters.bm25_index import Bm25Analyzer
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.services.support import CalibratedSupportScorer, Claim
from rag_service.services.support_model import load_support_model

pytestmark = pytest.mark.integration

TRIAL = (
    "In this randomised trial of 240 adults admitted with community-acquired pneumonia, mortality at 30 days "
    "did not differ between the corticosteroid group and the placebo group (6% vs 7%, p = 0.61). "
    "Time to clinical stability was shorter with corticosteroids (3.0 vs 4.4 days), and hyperglycaemia was more "
    "frequent."
)
# Known gap, kept visible: most flipped negations still pass the cheap features (about 28% are caught on the
# PubMedQA benchmark; eval/README.md). strict=True makes this fail once a joint claim-evidence signal fixes it.
NEGATION_GAP = pytest.mark.xfail(strict=True, reason="flipped negation not caught without a joint signal")
OTHER = (
    "We reviewed 85 children with acute otitis media treated with amoxicillin for 5 or 10 days. "
    "Relapse rates at one month were similar in both groups."
)


@pytest.fixture(scope="module")
def scorer(warm_embedder: SentenceTransformerEmbedder) -> CalibratedSupportScorer:
    return CalibratedSupportScorer(warm_embedder, load_support_model(), Bm25Analyzer())


@pytest.mark.parametrize(
    ("claim", "supported"),
    [
        (
            "Corticosteroids shortened the time to clinical stability in community-acquired pneumonia [1].",
            True,
        ),
        (
            "In adults with pneumonia, 30-day mortality was similar with corticosteroids and with placebo [1].",
            True,
        ),
        ("Corticosteroids shortened the time to clinical stability to 2.0 days [1].", False),
        pytest.param(
            "Corticosteroids did not shorten the time to clinical stability in community-acquired pneumonia [1].",
            False,
            marks=NEGATION_GAP,
        ),
        (
            "In adults with pneumonia, 30-day mortality differed between corticosteroids and placebo [1].",
            False,
        ),
    ],
)
def test_paraphrase_and_its_harmful_edits(
    scorer: CalibratedSupportScorer, claim: str, supported: bool
) -> None:
    result = scorer.score([Claim(claim, (TRIAL,))])[0]
    assert (result.score >= 0.7) is supported, result
    assert result.evidence_sentence is not None and result.evidence_sentence in TRIAL
    if not supported:
        assert result.reasons


def test_a_true_sentence_cited_to_the_wrong_passage_is_not_supported(scorer: CalibratedSupportScorer) -> None:
    claim = "Corticosteroids shortened the time to clinical stability in community-acquired pneumonia [1]."
    right, wrong = scorer.score([Claim(claim, (TRIAL,)), Claim(claim, (OTHER,))])
    assert right.score >= 0.7 > wrong.score


def test_scores_are_deterministic_and_independent_of_the_batch(scorer: CalibratedSupportScorer) -> None:
    claims = [
        Claim("Corticosteroids shortened the time to clinical stability [1].", (TRIAL,)),
        Claim("Amoxicillin for 5 days was as good as 10 days in children [1].", (OTHER,)),
    ]
    together = scorer.score(claims)
    alone = [scorer.score([c])[0] for c in claims]
    assert together == alone == scorer.score(claims)
