"""Shared metadata rules of the loaders: readable titles, years, front-matter and record mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest.loaders.meta import clean_title, meta_from_mapping, parse_year, readable_stem

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "title"),
    [("sepsis_guideline-2024.md", "Sepsis guideline 2024"), ("a.b.c.txt", "A b c"), ("___.md", "Untitled")],
)
def test_readable_stem(name: str, title: str) -> None:
    assert readable_stem(Path("x") / name) == title


@pytest.mark.parametrize(
    ("value", "year"),
    [(2021, 2021), ("2021-03-04", 2021), ("Spring 1998", 1998), ("1998 Dec-1999 Jan", 1998), ("12345", None)],
)
def test_parse_year(value: object, year: int | None) -> None:
    assert parse_year(value) == year


@pytest.mark.parametrize("value", [None, True, 1700, "n.d.", 3.5])
def test_parse_year_refuses_non_years(value: object) -> None:
    assert parse_year(value) is None


def test_clean_title_collapses_whitespace_and_caps_length() -> None:
    assert clean_title("  Warfarin\n\tsodium\u00a0tablets ") == "Warfarin sodium tablets"
    assert len(clean_title("x" * 5000)) == 1000


def test_meta_from_mapping_maps_known_keys_and_keeps_scalar_extras() -> None:
    meta = meta_from_mapping(
        {
            "organization": "NICE",
            "year": "2024-05",
            "pmid": 123,
            "audience": "adults",
            "tags": ["a"],
            "id": "x",
        },
        doc_id="doc",
        title="Title",
        source="doc.md",
        ignore=frozenset({"id"}),
    )

    assert (meta.organisation, meta.year, meta.pmid) == ("NICE", 2024, "123")
    assert meta.extra == {"audience": "adults"}


def test_meta_from_mapping_rejects_unknown_doc_type() -> None:
    with pytest.raises(ValidationError):
        meta_from_mapping({"doc_type": "leaflet"}, doc_id="d", title="T", source="s")
