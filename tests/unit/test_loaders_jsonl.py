"""JSONL loader: records to documents, metadata mapping, and per-line errors that spare the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.loaders import jsonl
from ingest.loaders.base import LoadContext, LoadResult
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit


def load(*lines: str | dict[str, Any]) -> LoadResult:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    return jsonl.load(text.encode(), LoadContext(path=Path("bulk.jsonl"), default_doc_id="bulk.jsonl"))


def test_each_record_becomes_a_document_with_its_metadata() -> None:
    result = load(
        {
            "id": "htn-1",
            "title": "Hypertension targets",
            "text": "Aim for  below 130/80 mmHg.",
            "year": 2017,
            "organization": "ACC/AHA",
            "doc_type": "guideline",
            "pmid": 29133356,
            "audience": "adults",
            "reviewed": True,
            "tags": ["bp"],
        },
        {"id": "gout-1", "title": "Gout flare", "text": "Colchicine treats flares."},
    )

    assert result.record_errors == []
    first, second = result.documents
    assert first.meta.doc_id == "htn-1" and first.meta.title == "Hypertension targets"
    assert (first.meta.year, first.meta.organisation, first.meta.doc_type) == (2017, "ACC/AHA", "guideline")
    assert first.meta.pmid == "29133356"
    assert first.meta.extra == {"audience": "adults", "reviewed": True}
    assert first.meta.source == "bulk.jsonl"
    assert [(s.heading_path, s.text) for s in first.sections] == [
        (("Hypertension targets",), "Aim for below 130/80 mmHg.")
    ]
    assert second.meta.doc_id == "gout-1"


def test_explicit_sections_keep_headings_and_pages() -> None:
    record = {
        "id": "label-1",
        "title": "Warfarin label",
        "sections": [
            {"heading": "Dosing", "text": "Start at 5 mg.", "page": 3},
            {"heading": ["Warnings", "Bleeding"], "text": "Major bleeding can occur."},
            {"text": "Unheaded note."},
            {"heading": "Blank", "text": "   "},
        ],
    }

    (doc,) = load(record).documents

    assert [(s.heading_path, s.page) for s in doc.sections] == [
        (("Warfarin label", "Dosing"), 3),
        (("Warfarin label", "Warnings", "Bleeding"), None),
        (("Warfarin label",), None),
    ]


def test_markdown_format_is_split_on_headings() -> None:
    record = {
        "id": "md-1",
        "title": "Sepsis",
        "format": "markdown",
        "text": "Lead.\n\n## Fluids\n\n30 mL/kg.",
    }

    (doc,) = load(record).documents

    assert [s.heading_path for s in doc.sections] == [("Sepsis",), ("Sepsis", "Fluids")]


def test_bad_lines_are_reported_by_number_and_the_rest_load() -> None:
    result = load(
        {"id": "ok-1", "title": "Fine", "text": "Good text."},
        '{"id": "broken", ',
        "[1, 2]",
        {"title": "No id", "text": "x"},
        {"id": "no-title", "text": "x"},
        {"id": "no-text", "title": "T"},
        {"id": "bad-year", "title": "T", "text": "x", "year": "sometime"},
        {"id": "bad id", "title": "T", "text": "x"},
        {"id": "ok-1", "title": "Again", "text": "Duplicate."},
        "",
        {"id": "ok-2", "title": "Also fine", "text": "More text."},
    )

    assert [d.meta.doc_id for d in result.documents] == ["ok-1", "ok-2"]
    errors = result.record_errors
    assert len(errors) == 8
    assert errors[0].startswith("line 2: invalid JSON")
    assert errors[1] == "line 3: not a JSON object"
    assert errors[2] == "line 4: missing 'id'"
    assert errors[3] == "line 5: missing 'title'"
    assert errors[4].startswith("line 6: missing 'text'")
    assert errors[5].startswith("line 7: invalid 'year'")
    assert errors[6].startswith("line 8: invalid 'id': use up to 200 characters without spaces")
    assert errors[7] == "line 9: duplicate id 'ok-1' (first on line 1)"


def test_errors_never_quote_the_record_text() -> None:
    result = load(
        {"id": "a", "title": "T", "text": "x"}, {"id": "b", "title": "T", "text": "x", "year": "SECRET"}
    )

    assert not any("SECRET" in e for e in result.record_errors)


def test_no_valid_record_is_a_file_error() -> None:
    with pytest.raises(IngestError, match=r"no valid records \(2 rejected; first: line 1: invalid JSON"):
        load("not json", {"id": "x"})


@pytest.mark.parametrize("data", [b"", b"\n  \n"])
def test_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(IngestError, match=r"^no extractable text$"):
        jsonl.load(data, LoadContext(path=Path("e.jsonl"), default_doc_id="e.jsonl"))


def test_non_utf8_file_is_refused() -> None:
    data = json.dumps({"id": "a", "title": "T", "text": "día"}, ensure_ascii=False).encode("latin-1")

    with pytest.raises(IngestError, match="UTF-8"):
        jsonl.load(data, LoadContext(path=Path("e.jsonl"), default_doc_id="e.jsonl"))
