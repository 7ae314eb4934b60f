"""Plain-text loader: one section, a sensible title, and refusals of what is not text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import text
from ingest.loaders.base import LoadContext, LoadResult
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit


def load(data: bytes, name: str = "ward_notes.txt") -> LoadResult:
    return text.load(data, LoadContext(path=Path("notes") / name, default_doc_id=name))


def test_whole_file_is_one_section_titled_by_its_first_line() -> None:
    data = b"Ward notes\r\n\r\n\r\n\r\nCheck potassium   before furosemide.\nRepeat in 6 h.\n"

    (doc,) = load(data).documents

    assert doc.meta.title == "Ward notes"
    assert doc.meta.doc_id == "ward_notes.txt"
    assert doc.meta.source == str(Path("notes") / "ward_notes.txt")
    assert len(doc.sections) == 1
    assert doc.sections[0].heading_path == ("Ward notes",)
    # Blank-line runs collapse to one paragraph break; line breaks and the text itself survive.
    assert doc.sections[0].text == "Ward notes\n\nCheck potassium before furosemide.\nRepeat in 6 h."


def test_long_first_line_is_not_a_title() -> None:
    data = ("Potassium " * 20).encode() + b"\nmore"

    assert load(data, name="k_replacement-guide.txt").documents[0].meta.title == "K replacement guide"


def test_utf16_with_bom_is_read() -> None:
    data = "Dosis\n5 mg por día".encode("utf-16")

    assert "día" in load(data).documents[0].sections[0].text


@pytest.mark.parametrize("data", [b"", b" \n\t\n  "])
def test_whitespace_only_is_refused(data: bytes) -> None:
    with pytest.raises(IngestError, match=r"^no extractable text$"):
        load(data)


def test_latin1_bytes_are_refused_with_advice() -> None:
    with pytest.raises(IngestError, match="convert the file to UTF-8"):
        load("Dosis: 5 mg por día".encode("latin-1"))


def test_binary_is_refused() -> None:
    with pytest.raises(IngestError, match="binary"):
        load(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
