"""HTML loader: chrome removal, heading sections, block text, meta tags and encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import html
from ingest.loaders.base import LoadContext
from rag_service.domain.documents import SourceDocument
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit

PAGE = """<!doctype html>
<html lang="en-GB"><head>
<title>Asthma action plan | Example Health</title>
<meta name="citation_doi" content="https://doi.org/10.1000/asthma.2024">
<meta name="citation_pmid" content="12345678">
<meta name="citation_publication_date" content="2023/05/17">
<meta name="citation_journal_title" content="Thorax Examples">
<meta property="og:url" content="https://example.org/asthma">
<link rel="canonical" href="https://example.org/asthma?ref=canonical">
<style>p { color: red }</style>
<script>var tracking = "SCRIPT-TEXT";</script>
</head><body>
<header>SITE-HEADER</header>
<nav><a href="/">NAV-HOME</a></nav>
<p>Print this plan and keep it with your <b>inhaler</b>.</p>
<h1>Asthma action plan</h1>
<div>Loose text in a div<p>Paragraph in the div.</p></div>
<h2>Reliever</h2>
<p>Use a short-acting beta agonist for symptoms.</p>
<ul><li>Two puffs</li><li><p>Wait one minute</p></li></ul>
<h3>Doses</h3>
<table><tr><th>Age</th><th>Dose</th></tr><tr><td>Adult</td><td>200 micrograms</td></tr></table>
<pre>Step 1  2 puffs
Step 2  4 puffs</pre>
<h2>Controller</h2>
<blockquote><p>Inhaled corticosteroids reduce exacerbations.</p></blockquote>
<h2>Nothing here</h2>
<aside>ASIDE-TEXT</aside>
<form><label>FORM-TEXT</label></form>
<footer>FOOTER-TEXT</footer>
<!-- COMMENT-TEXT -->
</body></html>
"""


def load(data: bytes, name: str = "asthma.html") -> SourceDocument:
    result = html.load(data, LoadContext(path=Path(name), default_doc_id=name))
    assert len(result.documents) == 1
    return result.documents[0]


def test_chrome_scripts_and_comments_are_removed() -> None:
    text = " ".join(s.text for s in load(PAGE.encode()).sections)

    for noise in ("SCRIPT-TEXT", "SITE-HEADER", "NAV-HOME", "ASIDE-TEXT", "FORM-TEXT", "FOOTER-TEXT"):
        assert noise not in text
    assert "COMMENT-TEXT" not in text and "color: red" not in text


def test_sections_follow_the_heading_hierarchy() -> None:
    sections = load(PAGE.encode()).sections

    assert [s.heading_path for s in sections] == [
        ("Asthma action plan | Example Health",),
        ("Asthma action plan",),
        ("Asthma action plan", "Reliever"),
        ("Asthma action plan", "Reliever", "Doses"),
        ("Asthma action plan", "Controller"),
    ]
    assert sections[0].text == "Print this plan and keep it with your inhaler."


def test_block_text_keeps_readable_structure() -> None:
    by_heading = {s.heading_path[-1]: s.text for s in load(PAGE.encode()).sections}

    assert by_heading["Asthma action plan"] == "Loose text in a div\n\nParagraph in the div."
    assert "symptoms.\n\n- Two puffs\n- Wait one minute" in by_heading["Reliever"]
    assert "Age | Dose\nAdult | 200 micrograms" in by_heading["Doses"]
    assert "Step 1 2 puffs\nStep 2 4 puffs" in by_heading["Doses"]
    assert by_heading["Controller"] == "Inhaled corticosteroids reduce exacerbations."


def test_meta_tags_fill_metadata() -> None:
    meta = load(PAGE.encode()).meta

    assert meta.title == "Asthma action plan | Example Health"
    assert meta.doi == "10.1000/asthma.2024"
    assert meta.pmid == "12345678"
    assert meta.year == 2023
    assert meta.journal == "Thorax Examples"
    assert meta.url == "https://example.org/asthma"
    assert meta.language == "en-GB"
    assert meta.doc_type == "other" and meta.source == "asthma.html"


def test_canonical_link_is_the_url_without_og_url() -> None:
    page = (
        '<html><head><link rel="canonical" href="https://example.org/a"></head><body><p>x</p></body></html>'
    )

    assert load(page.encode()).meta.url == "https://example.org/a"


def test_title_falls_back_to_h1_then_file_name() -> None:
    assert load(b"<body><h1>Gout flare</h1><p>Colchicine.</p></body>").meta.title == "Gout flare"
    assert load(b"<body><p>Colchicine.</p></body>", name="gout_flare.htm").meta.title == "Gout flare"


def test_meta_charset_decodes_legacy_encoding() -> None:
    page = (
        '<html><head><meta charset="iso-8859-1"></head><body><p>Dosis: 5 mg por día, café</p></body></html>'
    )

    assert "5 mg por día, café" in load(page.encode("latin-1")).sections[0].text


def test_undecodable_bytes_do_not_stop_the_page() -> None:
    page = b"<html><body><p>Give 5 mg \xff\xfe\x81 daily.</p></body></html>"

    text = load(page).sections[0].text

    assert text.startswith("Give 5 mg") and text.endswith("daily.")


@pytest.mark.parametrize(
    "page",
    [b"", b"   ", b"<html><head><title>T</title></head><body></body></html>", b"<nav>menu only</nav>"],
)
def test_no_text_is_refused(page: bytes) -> None:
    with pytest.raises(IngestError, match=r"^no extractable text$"):
        load(page)


def test_binary_file_is_refused() -> None:
    with pytest.raises(IngestError, match="binary content"):
        load(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")


def test_an_articles_own_header_is_kept() -> None:
    page = b"""<html><body><header>SITE-BANNER</header>
    <main><article><header><h1>Gout</h1><p>Reviewed 2024</p></header>
    <p>Colchicine treats flares.</p></article></main>
    <footer><nav>FOOTER-NAV</nav></footer></body></html>"""

    (section,) = load(page).sections

    assert section.heading_path == ("Gout",)
    assert section.text == "Reviewed 2024\n\nColchicine treats flares."
