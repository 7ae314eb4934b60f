"""Quotes keep their section: a Markdown guideline with two severity sections, answered extractively."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import MakeComponents, ingest

pytestmark = pytest.mark.integration

GUIDELINE = """# Antibiotics for Pneumonia

## Recommended Regimens

### Moderate Severity (CURB-65 2, inpatient ward)
- **First-line:** Amoxicillin 500 mg TDS orally **PLUS** clarithromycin 500 mg BD orally.

### High Severity (CURB-65 3-5, intensive care)
- **First-line:** Co-amoxiclav 1.2 g TDS IV **PLUS** clarithromycin 500 mg BD IV.
"""
QUESTION = "What is the first-line antibiotic regimen for pneumonia?"


@pytest.mark.parametrize("lead_in", [True, False])
def test_each_regimen_keeps_its_severity_and_reads_as_prose(
    tmp_path: Path, make_components: MakeComponents, lead_in: bool
) -> None:
    path = tmp_path / "pneumonia.md"
    path.write_text(GUIDELINE)
    c = make_components(answer={"context_lead_in": lead_in})
    c.open_index()
    ingest(c, path)
    answer = c.answer_service(c.search_service()).ask(QUESTION)
    assert not answer.abstained, answer.abstention
    assert "**" not in answer.text and "- " not in answer.text
    assert all(s.verdict == "supported" for s in answer.sentences), answer.sentences
    amox = next(s.text for s in answer.sentences if "Amoxicillin" in s.text)
    coamox = next(s.text for s in answer.sentences if "Co-amoxiclav" in s.text)
    if lead_in:
        assert amox.startswith("Moderate Severity (CURB-65 2, inpatient ward): First-line: Amoxicillin")
        assert coamox.startswith("High Severity (CURB-65 3-5, intensive care): First-line: Co-amoxiclav")
    else:
        assert amox.startswith("First-line: Amoxicillin") and coamox.startswith("First-line: Co-amoxiclav")


DEPRESSION = """# Perinatal Depression

## Treatment by Severity

### Mild Depression (EPDS 10-12)
- Offer guided self-help and watchful waiting with review in two weeks.
- Psychotherapy can be offered to women who prefer it to self-help.

### Moderate Depression (EPDS 13-19)
- Offer cognitive behavioural therapy or interpersonal therapy as the first-line treatment.
- Consider an antidepressant when psychotherapy is declined or not effective.

### Severe Depression (EPDS 20 or more)
- Start an antidepressant together with psychotherapy and refer to perinatal psychiatry.
"""


@pytest.mark.parametrize(("weight", "kept"), [(0.15, True), (0.0, False)])
def test_a_named_severity_selects_its_own_section(
    tmp_path: Path, make_components: MakeComponents, weight: float, kept: bool
) -> None:
    """With qualifier-aware selection the answer for "moderate" comes from the moderate section only."""
    path = tmp_path / "perinatal.md"
    path.write_text(DEPRESSION)
    c = make_components(answer={"qualifier_weight": weight, "max_sentences": 2})
    c.open_index()
    ingest(c, path)
    answer = c.answer_service(c.search_service()).ask("How is moderate perinatal depression treated?")
    assert not answer.abstained, answer.abstention
    from_moderate = all(s.text.startswith("Moderate Depression (EPDS 13-19): ") for s in answer.sentences)
    assert from_moderate is kept, answer.text
