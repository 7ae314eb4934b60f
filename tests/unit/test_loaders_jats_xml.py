"""PMC full text (JATS): metadata, abstract and nested body sections, captions instead of tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import xml
from ingest.loaders.base import LoadContext
from rag_service.domain.documents import SourceDocument
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit

ARTICLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN"
 "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article" xml:lang="en">
 <front>
  <journal-meta>
   <journal-title-group><journal-title>Critical Care</journal-title></journal-title-group>
  </journal-meta>
  <article-meta>
   <article-id pub-id-type="pmid">30000001</article-id>
   <article-id pub-id-type="pmc">6000001</article-id>
   <article-id pub-id-type="doi">10.1186/s13054-018-0001-1</article-id>
   <title-group><article-title>Early fluids in <italic>septic</italic> shock</article-title></title-group>
   <pub-date pub-type="collection"><year>2019</year></pub-date>
   <pub-date pub-type="epub"><day>3</day><month>4</month><year>2018</year></pub-date>
   <abstract>
    <sec><title>Background</title><p>Fluid timing matters.</p></sec>
    <sec><title>Results</title><p>Mortality fell by 4%.</p></sec>
   </abstract>
   <abstract abstract-type="graphical"><p>GRAPHICAL-ABSTRACT</p></abstract>
  </article-meta>
 </front>
 <body>
  <p>Septic shock is common.</p>
  <sec id="s1"><label>1</label><title>Methods</title>
   <p>We enrolled adults <xref ref-type="bibr" rid="b1">[1]</xref>.</p>
   <sec><title>Setting</title>
    <p>Two ICUs.<table-wrap id="t1"><label>Table 1</label>
      <caption><title>Baseline</title><p>Values are medians.</p></caption>
      <table><tr><td>CELL-42</td></tr></table></table-wrap></p>
   </sec>
   <fig id="f1"><label>Figure 1</label><caption><p>Patient flow.</p></caption>
    <graphic xlink:href="f1.jpg"/></fig>
   <list><list-item><p>first criterion</p></list-item><list-item><p>second criterion</p></list-item></list>
  </sec>
 </body>
 <back><ref-list><ref id="b1">REFERENCE-TEXT</ref></ref-list></back>
</article>
"""


def load(data: bytes) -> SourceDocument:
    result = xml.load(data, LoadContext(path=Path("PMC6000001.nxml"), default_doc_id="PMC6000001.nxml"))
    assert len(result.documents) == 1 and result.record_errors == []
    return result.documents[0]


def test_article_metadata() -> None:
    meta = load(ARTICLE).meta

    assert meta.doc_id == "pmc-PMC6000001"
    assert meta.title == "Early fluids in septic shock"
    assert (meta.pmid, meta.pmcid, meta.doi) == ("30000001", "PMC6000001", "10.1186/s13054-018-0001-1")
    assert (meta.journal, meta.year, meta.doc_type, meta.language) == (
        "Critical Care",
        2018,
        "literature",
        "en",
    )
    assert meta.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC6000001/"


def test_abstract_and_body_sections_follow_sec_titles() -> None:
    title = "Early fluids in septic shock"

    sections = [(s.heading_path, s.text) for s in load(ARTICLE).sections]

    assert sections == [
        ((title, "Abstract", "Background"), "Fluid timing matters."),
        ((title, "Abstract", "Results"), "Mortality fell by 4%."),
        ((title,), "Septic shock is common."),
        ((title, "Methods"), "We enrolled adults [1]."),
        ((title, "Methods", "Setting"), "Two ICUs.\n\nTable 1: Baseline Values are medians."),
        ((title, "Methods"), "Figure 1: Patient flow.\n\n- first criterion\n- second criterion"),
    ]


def test_table_cells_references_and_graphical_abstracts_are_left_out() -> None:
    text = " ".join(s.text for s in load(ARTICLE).sections)

    assert "CELL-42" not in text
    assert "REFERENCE-TEXT" not in text
    assert "GRAPHICAL-ABSTRACT" not in text


def test_id_falls_back_to_pmid_then_file_default() -> None:
    no_pmc = ARTICLE.replace(b'<article-id pub-id-type="pmc">6000001</article-id>', b"")
    no_ids = no_pmc.replace(b'<article-id pub-id-type="pmid">30000001</article-id>', b"")

    assert load(no_pmc).meta.doc_id == "pmid-30000001"
    assert load(no_pmc).meta.url == "https://pubmed.ncbi.nlm.nih.gov/30000001/"
    assert load(no_ids).meta.doc_id == "PMC6000001.nxml"


def test_article_without_text_is_refused() -> None:
    empty = b"<article><front><article-meta><title-group><article-title>T</article-title></title-group>"
    empty += b"</article-meta></front><body/></article>"

    with pytest.raises(IngestError, match=r"^no extractable text$"):
        load(empty)


def test_article_type_and_subject_headings_are_publication_types() -> None:
    assert load(ARTICLE).meta.extra == {}  # a research article names no design
    case = ARTICLE.replace(b'article-type="research-article"', b'article-type="case-report"').replace(
        b"<title-group>",
        b'<article-categories><subj-group subj-group-type="heading"><subject>Clinical Case</subject>'
        b"</subj-group></article-categories><title-group>",
    )
    assert load(case).meta.extra == {"publication_types": "Case Reports; Clinical Case"}
