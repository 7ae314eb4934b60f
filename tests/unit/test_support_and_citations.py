"""Citation parsing, the claim-reading rules of the support checks, and the scorer's model-free decisions."""

from __future__ import annotations

import json

import pytest

from rag_service.adapters.bm25_index import Bm25Analyzer
from rag_service.domain.errors import ConfigurationError
from rag_service.domain.text import with_markers
from rag_service.services.answering import combine_with_history
from rag_service.services.citations import parse_draft
from rag_service.services.claim_text import (
    Quantity,
    asks,
    clauses,
    missing_coded_names,
    missing_quantities,
    negative,
    quantities,
)
from rag_service.services.support import CalibratedSupportScorer, Claim
from rag_service.services.support_features import FEATURES
from rag_service.services.support_model import load_support_model

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


def test_numbers_keep_their_units_and_ignore_formatting_not_value() -> None:
    assert quantities("Give 30 mg/kg within 3 hours, then 5 mg daily (2.5%).") == [
        Quantity(30, "mg/kg"),
        Quantity(3, "h"),
        Quantity(5, "mg"),
        Quantity(2.5, "%"),
    ]
    assert missing_quantities("Give 30 mL/kg within 3 hours.", PASSAGE) == []
    assert [str(q) for q in missing_quantities("Give 300 mL/kg.", PASSAGE)] == ["300 ml/kg"]
    assert [str(q) for q in missing_quantities("The usual starting dose is 5 g daily.", PASSAGE)] == ["5 g"]
    assert missing_quantities("Among 3 patients.", "three patients and 4 controls") == []
    assert missing_quantities("A total of 1,000 mg (5 percent).", "1000 mg, that is 5%") == []
    assert missing_quantities("Dose 1.5 mg", "dose 15 mg") == [Quantity(1.5, "mg")]


def test_words_after_numbers_and_numbers_inside_names_are_not_quantities() -> None:
    # "19 can" is not a unit; "COVID-19" and "IL-6" are names, not numbers.
    assert quantities("COVID-19 vaccines and IL-6 levels: 19 can be treated") == [Quantity(19, "")]
    assert quantities("one should see a doctor") == []


def test_a_changed_number_inside_a_coded_name_is_caught() -> None:
    assert missing_coded_names("CA19-27 levels fell", "Normal CA 19-9 levels") == ["ca19 27"]
    assert missing_coded_names("CA19-9 levels fell", "Normal CA 19-9 levels") == []
    assert missing_coded_names("HbA1c was measured", "A1C was measured") == []  # absent, not changed


def test_polarity_by_clause_and_meaning() -> None:
    assert negative("There was no significant difference in mortality")
    assert negative("Mortality did not differ between groups")
    assert negative("Mortality was similar in both arms")
    assert not negative("Mortality was not similar in both arms")
    assert not negative("Outcomes were compared with those without diabetes")
    assert clauses("X improved outcomes in adults, but not in children") == [
        "X improved outcomes in adults",
        "not in children",
    ]
    assert asks("We investigated whether statins reduce stroke.")
    assert not asks("Statins reduced stroke by 20%.")


def test_the_shipped_model_matches_the_features_and_maps_thresholds_onto_the_score_scale() -> None:
    model = load_support_model(None, FEATURES)
    assert model.version and model.threshold_partial <= model.threshold_supported
    assert model.to_score(model.threshold_supported) == pytest.approx(0.7)
    assert model.to_score(model.threshold_partial) == pytest.approx(0.45)
    assert model.to_score(0.0) == 0.0 and model.to_score(1.0) == 1.0


def test_a_model_file_for_other_features_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = load_support_model().to_json() | {"features": ["something_else"]}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigurationError, match="fitted on features"):
        load_support_model(path, FEATURES)
    with pytest.raises(ConfigurationError):
        load_support_model(tmp_path / "missing.json")


def test_bad_input_gets_a_defined_score_and_reason() -> None:
    scorer = CalibratedSupportScorer(None, load_support_model(), Bm25Analyzer())
    results = scorer.score(
        [
            Claim("Give fluids [1].", ()),
            Claim(" [1]", (PASSAGE,)),
            Claim("word " * 2100, (PASSAGE,)),
            Claim("The usual starting dose is 5 mg daily [1].", (PASSAGE,)),
            Claim("La warfarine ne doit pas être utilisée pendant la grossesse [1].", (PASSAGE,)),
            Claim("Warfarin should not be used in pregnancy [1].", ("",)),
        ]
    )
    assert [r.score for r in results[:4]] == [0.0, 0.0, 0.0, 1.0]
    assert results[0].reasons == ("no cited evidence",) and results[1].reasons == ("empty sentence",)
    assert "too long" in results[2].reasons[0] and "verbatim" in results[3].reasons[0]
    assert results[4].score < 0.7 and results[4].reasons
    assert results[5].score == 0.0


def test_a_number_missing_from_the_evidence_vetoes_support() -> None:
    scorer = CalibratedSupportScorer(None, load_support_model(), Bm25Analyzer())
    changed, unit = scorer.score(
        [
            Claim("Give 60 mL/kg of intravenous crystalloid within the first 3 hours [1].", (PASSAGE,)),
            Claim("Give 30 mL/kg of intravenous crystalloid within the first 3 days [1].", (PASSAGE,)),
        ]
    )
    assert changed.score <= 0.15 and "60" in changed.reasons[0]
    assert unit.score <= 0.15 and "3 day" in unit.reasons[0]
    again = scorer.score(
        [Claim("Give 60 mL/kg of intravenous crystalloid within the first 3 hours [1].", (PASSAGE,))]
    )
    assert again[0] == changed  # deterministic


def test_follow_up_is_combined_with_the_previous_user_turn() -> None:
    history = [("user", "Dose of amoxicillin for otitis?"), ("assistant", "500 mg [1].")]
    assert (
        combine_with_history("And in children?", history)
        == "Dose of amoxicillin for otitis? And in children?"
    )
    assert combine_with_history("Dose?", []) == "Dose?"
