"""Citation parsing and the heuristic support rules, on hand-made sentences (no model: lexical only)."""

from __future__ import annotations

import pytest

from rag_service.services.answering import combine_with_history
from rag_service.services.citations import parse_draft, with_markers
from rag_service.services.support import Claim, HeuristicSupportScorer, negations, numbers, numbers_missing

pytestmark = pytest.mark.unit

PASSAGE = (
    "Give 30 mL/kg of intravenous crystalloid within the first 3 hours. "
    "Warfarin should not be used in pregnancy. The usual starting dose is 5 mg daily."
)


def test_markers_after_the_full_stop_belong_to_the_sentence_before() -> None:
    parsed = parse_draft("Give fluids. [1] Start norepinephrine [2][7]. No citation here. Again [1][1].", 3)
    assert [(p.text, p.cited, p.invalid) for p in parsed] == [
        ("Give fluids.", (1,), 0),
        ("Start norepinephrine.", (2,), 1),
        ("No citation here.", (), 0),
        ("Again.", (1,), 0),
    ]
    assert with_markers("Give fluids.", (1, 2)) == "Give fluids [1][2]."
    assert with_markers("Give fluids", (3,)) == "Give fluids [3]"


def test_numbers_keep_their_units() -> None:
    assert numbers("Give 30 mL/kg within 3 hours, then 5 mg daily (2.5%).") == {
        ("30", "ml/kg"),
        ("3", "h"),
        ("5", "mg"),
        ("2.5", "%"),
    }
    assert numbers_missing("Give 30 mL/kg within 3 hours.", PASSAGE) == []
    assert numbers_missing("Give 300 mL/kg.", PASSAGE) == ["300 ml/kg"]
    assert numbers_missing("The usual starting dose is 5 g daily.", PASSAGE) == ["5 g"]
    assert numbers_missing("Among 3 patients.", "three patients and 3 controls") == []


def test_negation_cues() -> None:
    assert negations("Warfarin should not be used") == 1
    assert negations("Avoid NSAIDs; they are contraindicated") == 2
    assert negations("Warfarin should be used") == 0


@pytest.mark.parametrize(
    ("claim", "verdict_ok"),
    [
        ("Give 30 mL/kg of intravenous crystalloid within the first 3 hours [1].", True),
        ("Give 60 mL/kg of intravenous crystalloid within the first 3 hours [1].", False),
        ("Give 30 mL/kg of intravenous crystalloid within the first 3 days [1].", False),
        ("Warfarin should be used in pregnancy [1].", False),
        ("In pregnancy, warfarin should not be used [1].", True),
        ("Warfarin must not be given in pregnancy [1].", False),  # a paraphrase needs the encoder
        ("Aspirin reduces stroke risk in atrial fibrillation [1].", False),
    ],
)
def test_scorer_rules(claim: str, verdict_ok: bool) -> None:
    result = HeuristicSupportScorer(None).score([Claim(claim, (PASSAGE,))])[0]
    assert (result.score >= 0.7) is verdict_ok, result


def test_no_citation_scores_zero_and_verbatim_scores_one() -> None:
    scorer = HeuristicSupportScorer(None)
    none, verbatim = scorer.score(
        [Claim("Give fluids.", ()), Claim("The usual starting dose is 5 mg daily [1].", (PASSAGE,))]
    )
    assert none.score == 0.0 and verbatim.score == 1.0


def test_follow_up_is_combined_with_the_previous_user_turn() -> None:
    history = [("user", "Dose of amoxicillin for otitis?"), ("assistant", "500 mg [1].")]
    assert (
        combine_with_history("And in children?", history)
        == "Dose of amoxicillin for otitis? And in children?"
    )
    assert combine_with_history("Dose?", []) == "Dose?"
