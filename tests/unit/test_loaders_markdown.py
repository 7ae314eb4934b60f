"""Markdown loader: front matter, heading paths, titles and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import markdown
from ingest.loaders.base import LoadContext
from rag_service.domain.documents import SourceDocument
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit

SEPSIS = """---
title: Sepsis protocol (adults)
organization: St Elsewhere ICU
year: 2024
version: 2024-03-01
doc_type: protocol
doi: 10.1000/sepsis.1
series_id: sepsis-adult
reviewed_by: Dr Rivera
tags: [icu, sepsis]
---
Applies to all adult wards.

# Sepsis

Recognise early.

## Initial resuscitation

### Fluids

Give 30 mL/kg crystalloid within 3 hours:

- reassess after each bolus
- stop if crackles appear

### Vasopressors ###

Start norepinephrine for MAP < 65 mmHg.

## Empty heading

# Antibiotics

Within one hour.
"""


def load(text: str, name: str = "sepsis_protocol.md") -> SourceDocument:
    result = markdown.load(text.encode(), LoadContext(path=Path(name), default_doc_id=name))
    assert len(result.documents) == 1
    return result.documents[0]


def test_front_matter_fills_metadata() -> None:
    meta = load(SEPSIS).meta

    assert meta.title == "Sepsis protocol (adults)"
    assert meta.organisation == "St Elsewhere ICU"
    assert (meta.year, meta.version, meta.doc_type) == (2024, "2024-03-01", "protocol")
    assert (meta.doi, meta.series_id) == ("10.1000/sepsis.1", "sepsis-adult")
    assert meta.extra == {"reviewed_by": "Dr Rivera"}
    assert meta.doc_id == "sepsis_protocol.md" and meta.source == "sepsis_protocol.md"


def test_sections_follow_the_heading_chain() -> None:
    sections = load(SEPSIS).sections

    assert [s.heading_path for s in sections] == [
        ("Sepsis protocol (adults)",),
        ("Sepsis",),
        ("Sepsis", "Initial resuscitation", "Fluids"),
        ("Sepsis", "Initial resuscitation", "Vasopressors"),
        ("Antibiotics",),
    ]
    assert sections[0].text == "Applies to all adult wards."
    assert "30 mL/kg" in sections[2].text
    assert all(s.page is None for s in sections)


def test_front_matter_and_headings_do_not_leak_into_text() -> None:
    texts = " ".join(s.text for s in load(SEPSIS).sections)

    assert "organization" not in texts and "---" not in texts
    assert "Initial resuscitation" not in texts


def test_list_lines_stay_on_their_own_lines() -> None:
    fluids = load(SEPSIS).sections[2].text

    assert "\n- reassess after each bolus\n- stop if crackles appear" in fluids


def test_title_falls_back_to_first_h1_then_file_name() -> None:
    assert load("Intro\n\n# Asthma in adults\n\nText.\n").meta.title == "Asthma in adults"
    assert load("Just text, no heading.\n", name="acute_asthma-plan.md").meta.title == "Acute asthma plan"


def test_sections_outside_any_h1_are_filed_under_the_title() -> None:
    doc = load("## Dosing\n\nOne tablet daily.\n", name="metformin.md")

    assert doc.sections[0].heading_path == ("Metformin", "Dosing")


def test_hash_inside_code_fence_is_not_a_heading() -> None:
    doc = load("# Tools\n\n```\n# not a heading\n```\n")

    assert [s.heading_path for s in doc.sections] == [("Tools",)]
    assert "# not a heading" in doc.sections[0].text


@pytest.mark.parametrize("text", ["", "   \n\n", "---\ntitle: Only metadata\n---\n", "# Heading only\n"])
def test_no_text_is_refused(text: str) -> None:
    with pytest.raises(IngestError, match=r"^no extractable text$"):
        load(text)


def test_invalid_yaml_front_matter_names_the_line() -> None:
    with pytest.raises(IngestError, match="invalid YAML front matter at line 3"):
        load("---\ntitle: ok\nyear: 2024: 2025\n---\nBody\n")


def test_front_matter_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(IngestError, match="mapping"):
        load("---\n- a\n- b\n---\nBody\n")


def test_unknown_doc_type_is_refused_by_name() -> None:
    with pytest.raises(IngestError, match="invalid front matter: field 'doc_type'"):
        load("---\ndoc_type: leaflet\n---\nBody\n")


def test_non_utf8_is_refused() -> None:
    data = "# Café\n\nDosis: 5 mg por día".encode("latin-1")

    with pytest.raises(IngestError, match="UTF-8"):
        markdown.load(data, LoadContext(path=Path("x.md"), default_doc_id="x.md"))


def test_split_markdown_is_usable_on_its_own() -> None:
    sections = markdown.split_markdown("Lead.\n\n## Part\n\nBody.", "Doc")

    assert [(s.heading_path, s.text) for s in sections] == [(("Doc",), "Lead."), (("Doc", "Part"), "Body.")]
