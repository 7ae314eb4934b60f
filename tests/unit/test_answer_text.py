"""Markdown read as plain prose, and the heading a quote needs (services/answer_text.py)."""

from __future__ import annotations

import pytest

from rag_service.services.answer_text import lead_in, plain_lines, plain_text, split_lead_in, with_lead_in

pytestmark = pytest.mark.unit

PASSAGE = """### Moderate Severity (CURB-65 2, inpatient ward)
- **First-line:** Amoxicillin 500 mg TDS orally **PLUS** clarithromycin 500 mg BD orally.
- *Penicillin allergy:* Doxycycline 200 mg loading dose.

Review at 48 hours."""


def test_markdown_becomes_one_plain_line_per_block() -> None:
    lines = plain_lines(PASSAGE)
    assert [line.text for line in lines] == [
        "Moderate Severity (CURB-65 2, inpatient ward).",
        "First-line: Amoxicillin 500 mg TDS orally PLUS clarithromycin 500 mg BD orally.",
        "Penicillin allergy: Doxycycline 200 mg loading dose.",
        "Review at 48 hours.",
    ]
    assert [line.list_item for line in lines] == [False, True, True, False]
    assert "**" not in plain_text(PASSAGE) and "- " not in plain_text(PASSAGE)


def test_plain_prose_is_unchanged() -> None:
    assert (
        plain_text("Give 30 mL/kg of crystalloid within 3 hours.")
        == "Give 30 mL/kg of crystalloid within 3 hours."
    )


def test_empty_heading_path_gives_no_lead_in() -> None:
    assert lead_in("Amoxicillin 500 mg TDS orally.", (), title="CAP", list_item=True) == ""


def test_nearest_informative_heading_is_the_lead_in() -> None:
    path = ("Antibiotic Therapy — BTS 2009", "Recommended Regimens", "High Severity (CURB-65 3–5)")
    heading = lead_in(
        "Co-amoxiclav 1.2 g TDS IV.", path, title="Antibiotic Therapy — BTS 2009", list_item=True
    )
    assert heading == "High Severity (CURB-65 3–5)"
    assert (
        with_lead_in(heading, "Co-amoxiclav 1.2 g TDS IV.")
        == "High Severity (CURB-65 3–5): Co-amoxiclav 1.2 g TDS IV."
    )


def test_title_generic_or_restated_headings_give_no_lead_in() -> None:
    assert lead_in("Sepsis is common.", ("Sepsis",), title="Sepsis", list_item=False) == ""
    assert lead_in("Mortality fell.", ("Trial", "Results"), title="Trial", list_item=False) == ""
    assert lead_in("Children need 20 mL/kg.", ("Children",), title=None, list_item=False) == ""


def test_a_list_item_under_a_generic_heading_takes_the_heading_above() -> None:
    path = ("Guide", "Pregnancy", "Summary")
    assert lead_in("Labetalol 200 mg orally.", path, title="Guide", list_item=True) == "Pregnancy"


def test_split_lead_in_accepts_only_a_cited_heading() -> None:
    sentence = "Adults (over 18): Give 1 g."
    assert split_lead_in(sentence, ["Adults", "Adults (over 18)"]) == ("Adults (over 18)", "Give 1 g.")
    assert split_lead_in("Invented group: Give 1 g.", ["Adults"]) == ("", "Invented group: Give 1 g.")
