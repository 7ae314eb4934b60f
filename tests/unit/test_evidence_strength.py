"""The evidence-strength parser on hand-written passages, including malformed and contradictory ratings."""

from __future__ import annotations

import pytest

from rag_service.domain.evidence import EvidenceStrength
from rag_service.services.evidence_strength import evidence_strength, publication_types_of, study_design

pytestmark = pytest.mark.unit


def rating(
    text: str, headings: tuple[str, ...] = (), organisation: str | None = None
) -> tuple[str, str, str]:
    ev = evidence_strength(text, headings, doc_type="guideline", organisation=organisation)
    return ev.system, ev.strength, ev.certainty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Give X (Strong recommendation, Moderate quality of evidence).", ("grade", "strong", "moderate")),
        ("Suggest Y (Weak recommendation, Very Low quality of evidence).", ("grade", "weak", "very_low")),
        ("Use Z (Conditional, Low certainty).", ("grade", "weak", "low")),
        ("Start W (Strong, High).", ("grade", "strong", "high")),
        (
            "The panel suggests V (conditional recommendation, moderate certainty ⨁⨁⨁○).",
            ("grade", "weak", "moderate"),
        ),
        ("Avoid dopamine (Grade 1A).", ("grade", "strong", "high")),
        ("APA suggests (2C) that naltrexone be offered.", ("grade", "weak", "low")),
        ("Reduce sodium (Class I, Level of Evidence A).", ("acc_aha", "strong", "high")),
        ("Ivabradine is reasonable (Class IIa, LOE B-R).", ("acc_aha", "moderate", "moderate")),
        ("May be considered (COR 2b, LOE C-LD).", ("acc_aha", "weak", "low")),
        ("Start compressions (COR 1, LOE C-EO).", ("acc_aha", "strong", "very_low")),
        ("TXA is not recommended (Class III: No Benefit, LOE B-R).", ("acc_aha", "moderate", "moderate")),
        ("Hypervolemia is not recommended (Class III: Harm, LOE B-R).", ("acc_aha", "strong", "moderate")),
    ],
)
def test_ratings_are_normalised(text: str, expected: tuple[str, str, str]) -> None:
    assert rating(text) == expected


def test_a_rating_in_the_heading_path_covers_the_passage() -> None:
    assert rating("- Loading dose: 60 mg.", ("ACS", "Prasugrel (Class I, Level of Evidence B)")) == (
        "acc_aha",
        "strong",
        "moderate",
    )


@pytest.mark.parametrize(
    "text",
    [
        "- Give A (Class I, LOE A).\n- Give B (Class IIa, LOE B-R).",  # two recommendations, two classes
        "Do NOT use diuretics unless for volume overload (Grade 1B/2C).",  # one statement contradicting itself
        "Give A (Strong recommendation, Low quality of evidence). Give B (Weak recommendation, High quality).",
    ],
)
def test_contradictory_statements_give_unknown_strength_and_certainty(text: str) -> None:
    _, strength, certainty = rating(text)
    assert (strength, certainty) == ("unknown", "unknown")


def test_a_bare_class_iii_disagrees_with_a_class_i() -> None:
    assert rating("Angiography (Class I, LOE A). Do not pre-treat (Class III).")[1] == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "Give A (Class IV, LOE D).",  # no such class or level
        "Give A (Grade 3A).",  # no such GRADE code
        "Give A (Grade A).",  # a bare letter grade names no scheme
        "Patients in NYHA class III benefit from B.",  # a functional class, not a rating
        "Evidence for tapering is largely of low to very low certainty.",  # prose, not a rating
        "Give A (mild to moderate disease).",
        "",
    ],
)
def test_malformed_or_absent_ratings_are_unknown(text: str) -> None:
    assert rating(text) == ("unknown", "unknown", "unknown")


def test_two_schemes_in_one_passage_are_unknown() -> None:
    assert rating("Give A (Class I, LOE A) and B (Strong recommendation, High quality of evidence).") == (
        "unknown",
        "unknown",
        "unknown",
    )


def test_uspstf_grades_need_the_task_force_named() -> None:
    assert rating("Screen adults aged 50 to 75 (grade A).") == ("unknown", "unknown", "unknown")
    assert rating("The USPSTF recommends screening adults aged 50 to 75 (A recommendation).")[:2] == (
        "uspstf",
        "strong",
    )
    assert rating("Screening (grade I).", organisation="USPSTF")[1] == "unknown"


def test_nice_wording_counts_only_for_nice() -> None:
    assert rating("Offer a statin to people with CVD.", organisation="NICE")[:2] == ("nice", "strong")
    assert rating("Consider a statin for people with a 10% risk.", organisation="NICE")[:2] == (
        "nice",
        "weak",
    )
    assert rating("Offer A. Consider B.", organisation="NICE")[1] == "unknown"
    assert rating("Consider a statin for people with a 10% risk.", organisation="ACC/AHA")[0] == "unknown"


@pytest.mark.parametrize(
    ("text", "design"),
    [
        ("Methods: We performed a systematic review and meta-analysis of 12 trials.", "meta_analysis"),
        ("Methods: A systematic review of MEDLINE and EMBASE.", "systematic_review"),
        ("Design: Prospective, randomized, double-blind study of 80 patients.", "randomised_trial"),
        ("Patients were randomly assigned to drug or placebo.", "randomised_trial"),
        ("Design: Retrospective cohort study.", "cohort"),
        ("We conducted a case-control study in Milan.", "case_control"),
        ("We report a case of a 40-year-old man with X.", "case_report"),
        ("This narrative review summarises the evidence.", "narrative_review"),
        ("This prospective, non-randomized study compared two techniques.", "unknown"),
        ("Twenty rats were randomly allocated to four groups.", "unknown"),
        ("Despite a previous meta-analysis, practice varies. We surveyed 100 doctors.", "unknown"),
        ("A prospective cohort study; patients were randomly assigned to two arms.", "unknown"),
        ("Data were collected by questionnaire.", "unknown"),
    ],
)
def test_study_design_from_the_abstract_wording(text: str, design: str) -> None:
    assert study_design(text, "literature") == design


def test_study_design_from_metadata() -> None:
    assert study_design("Randomised trial of X.", "guideline") == "guideline"
    assert (
        study_design("No design words here.", "literature", ["Journal Article", "Meta-Analysis"])
        == "meta_analysis"
    )
    assert study_design("We report a randomized trial.", "patient_info") == "unknown"
    assert publication_types_of({"publication_types": "Journal Article; Case Reports"}) == [
        "Journal Article",
        "Case Reports",
    ]


def test_empty_input_is_all_unknown() -> None:
    assert evidence_strength("", ()) == EvidenceStrength()
