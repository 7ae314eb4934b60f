"""The clinical qualifiers a question names, and how well a sentence's section agrees with them."""

from __future__ import annotations

import pytest

from rag_service.services.qualifiers import Qualifier, agreement, conflicts, qualifiers

pytestmark = pytest.mark.unit


def named(text: str) -> set[tuple[str, str]]:
    return {(q.family, q.value) for q in qualifiers(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "How is moderate perinatal depression managed?",
            {("severity", "moderate"), ("pregnancy", "pregnancy")},
        ),
        ("Inhaler treatment for COPD group A", {("labelled:group", "A"), ("route", "inhaled")}),
        ("Thrombectomy 6 to 24 hours after onset", {("window", "6-24h")}),
        ("mild to moderate pain", {("severity", "mild"), ("severity", "moderate")}),
        ("Dosing in children and in older adults", {("age", "child"), ("age", "older")}),
        (
            "Severe renal impairment (creatinine clearance < 30 mL/min)",
            {("severity", "severe"), ("impairment", "renal")},
        ),
    ],
)
def test_question_qualifiers(text: str, expected: set[tuple[str, str]]) -> None:
    assert named(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Community-acquired pneumonia",  # "community" is a setting only on its own
        "Child-Pugh class C",  # a liver score, not an age group
        "A plain sentence about treatment.",
    ],
)
def test_look_alikes_are_not_qualifiers(text: str) -> None:
    assert not {f for f, _ in named(text)} & {"setting", "age"}


def test_a_stage_in_roman_numerals_is_not_the_intravenous_route() -> None:
    assert named("Stage IV disease") == {("labelled:stage", "IV")}


def test_agreement_rewards_the_asked_value_and_penalises_another_of_the_same_family() -> None:
    asked = qualifiers("moderate depression")
    assert agreement(asked, qualifiers("Moderate Depression: offer CBT")) == 1.0
    assert agreement(asked, qualifiers("Mild Depression: guided self-help")) == -1.0
    assert agreement(asked, qualifiers("Depression: screening")) == 0.0
    assert agreement(set(), qualifiers("Mild Depression")) == 0.0


def test_non_exclusive_families_only_add() -> None:
    # A hepatic section does not exclude renal advice: no penalty, and no credit either.
    assert agreement({Qualifier("impairment", "renal")}, qualifiers("Hepatic impairment")) == 0.0
    assert agreement({Qualifier("impairment", "renal")}, qualifiers("Renal impairment")) == 1.0


def test_agreement_is_averaged_over_the_families_asked() -> None:
    asked = qualifiers("severe pneumonia in children")
    assert agreement(asked, qualifiers("Severe: admit")) == 0.5
    assert agreement(asked, qualifiers("Severe pneumonia in adults")) == 0.0


def test_a_conflict_is_another_value_of_an_exclusive_family_even_when_others_match() -> None:
    asked = qualifiers("moderate perinatal depression")
    assert conflicts(asked, qualifiers("Perinatal depression / Severe Depression"))
    assert not conflicts(asked, qualifiers("Perinatal depression / Moderate Depression"))
    assert not conflicts(asked, qualifiers("Perinatal depression / Screening"))
    assert not conflicts(qualifiers("renal impairment"), qualifiers("Hepatic impairment"))
