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
