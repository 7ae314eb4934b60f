"""Loader registry: which loader handles which file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import LOADERS, SUPPORTED_EXTENSIONS, html, jsonl, loader_for, markdown, pdf, text, xml
from ingest.loaders.base import LoadContext

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("guide.md", markdown.load),
        ("GUIDE.MARKDOWN", markdown.load),
        ("notes.txt", text.load),
        ("notes.text", text.load),
        ("page.HTML", html.load),
        ("page.htm", html.load),
        ("label.Pdf", pdf.load),
        ("pubmed.xml", xml.load),
        ("PMC1.nxml", xml.load),
        ("bulk.jsonl", jsonl.load),
        ("bulk.ndjson", jsonl.load),
    ],
)
def test_extension_picks_the_loader(name: str, expected: object) -> None:
    assert loader_for(Path("dir") / name) is expected


@pytest.mark.parametrize("name", ["slides.pptx", "archive.tar.gz", "README", "guide.md.bak"])
def test_unsupported_extension_has_no_loader(name: str) -> None:
    assert loader_for(Path(name)) is None


def test_supported_extensions_match_the_registry() -> None:
    assert set(LOADERS) == SUPPORTED_EXTENSIONS
    assert all(ext.startswith(".") and ext == ext.lower() for ext in SUPPORTED_EXTENSIONS)


def test_registered_loader_runs_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "Sepsis.MD"
    path.write_text("# Sepsis\n\nGive fluids.\n")
    loader = loader_for(path)
    assert loader is not None

    result = loader(path.read_bytes(), LoadContext(path=path, default_doc_id="sepsis"))

    assert result.documents[0].sections[0].text == "Give fluids."
