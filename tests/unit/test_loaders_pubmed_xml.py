"""PubMed article sets: one literature document per article, a section per abstract part."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import xml
from ingest.loaders.base import LoadContext, LoadResult
from rag_service.domain.errors import IngestError
from rag_service.services.evidence_strength import evidence_strength, publication_types_of

pytestmark = pytest.mark.unit

ARTICLE_SET = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN"
 "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">
<PubmedArticleSet>
 <PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
   <PMID Version="1">21645889</PMID>
   <Article PubModel="Print">
    <Journal><Title>The Lancet</Title>
     <JournalIssue><PubDate><Year>2011</Year><Month>Jun</Month></PubDate></JournalIssue></Journal>
    <ArticleTitle>Metformin and <i>lactic</i> acidosis.</ArticleTitle>
    <ELocationID EIdType="pii">S0140</ELocationID>
    <ELocationID EIdType="doi" ValidYN="Y">10.1016/S0140-6736(11)60000-0</ELocationID>
    <Abstract>
     <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Metformin is first-line.</AbstractText>
     <AbstractText Label="METHODS AND RESULTS" NlmCategory="METHODS">We pooled   347 trials.</AbstractText>
     <AbstractText Label="Aims/hypothesis">Mixed-case label.</AbstractText>
     <AbstractText NlmCategory="CONCLUSIONS">Acidosis was rare.</AbstractText>
    </Abstract>
    <Language>eng</Language>
    <PublicationTypeList>
     <PublicationType UI="D016428">Journal Article</PublicationType>
     <PublicationType UI="D017418">Meta-Analysis</PublicationType>
    </PublicationTypeList>
   </Article>
  </MedlineCitation>
  <PubmedData><ArticleIdList>
   <ArticleId IdType="pubmed">21645889</ArticleId>
   <ArticleId IdType="pmc">PMC3111111</ArticleId>
  </ArticleIdList></PubmedData>
 </PubmedArticle>
 <PubmedArticle>
  <MedlineCitation><PMID>10000002</PMID>
   <Article><Journal><Title>BMJ</Title>
     <JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue></Journal>
    <ArticleTitle>Warfarin genotype dosing</ArticleTitle>
    <Abstract><AbstractText>Genotype-guided dosing did not help.</AbstractText></Abstract>
   </Article></MedlineCitation>
  <PubmedData><ArticleIdList><ArticleId IdType="doi">10.1136/bmj.2</ArticleId></ArticleIdList></PubmedData>
 </PubmedArticle>
 <PubmedArticle>
  <MedlineCitation><PMID>10000003</PMID>
   <Article><Journal><Title>BMJ</Title><JournalIssue><PubDate/></JournalIssue></Journal>
    <ArticleTitle>Letter without abstract</ArticleTitle>
   </Article></MedlineCitation>
 </PubmedArticle>
 <PubmedArticle>
  <MedlineCitation><PMID>10000004</PMID>
   <Article><Journal><Title>JAMA</Title><JournalIssue><PubDate/></JournalIssue></Journal>
    <ArticleDate DateType="Electronic"><Year>2020</Year></ArticleDate>
    <ArticleTitle>Electronic-only date</ArticleTitle>
    <Abstract><AbstractText NlmCategory="UNASSIGNED">Unassigned part.</AbstractText></Abstract>
   </Article></MedlineCitation>
 </PubmedArticle>
</PubmedArticleSet>
"""


def load(data: bytes) -> LoadResult:
    return xml.load(data, LoadContext(path=Path("pubmed.xml"), default_doc_id="pubmed.xml"))


def test_each_article_with_an_abstract_is_a_document() -> None:
    result = load(ARTICLE_SET)

    assert [d.meta.doc_id for d in result.documents] == ["pmid-21645889", "pmid-10000002", "pmid-10000004"]
    assert result.record_errors == ["article PMID 10000003: no abstract text"]


def test_article_metadata() -> None:
    meta = load(ARTICLE_SET).documents[0].meta

    assert meta.title == "Metformin and lactic acidosis."
    assert (meta.journal, meta.year, meta.doc_type) == ("The Lancet", 2011, "literature")
    assert (meta.pmid, meta.pmcid) == ("21645889", "PMC3111111")
    assert meta.doi == "10.1016/S0140-6736(11)60000-0"
    assert meta.url == "https://pubmed.ncbi.nlm.nih.gov/21645889/"
    assert meta.language == "eng" and meta.source == "pubmed.xml"


def test_year_and_doi_fallbacks() -> None:
    docs = load(ARTICLE_SET).documents

    assert (docs[1].meta.year, docs[1].meta.doi) == (1998, "10.1136/bmj.2")
    assert docs[2].meta.year == 2020


def test_abstract_parts_become_labelled_sections() -> None:
    docs = load(ARTICLE_SET).documents
    title = "Metformin and lactic acidosis."

    assert [(s.heading_path, s.text) for s in docs[0].sections] == [
        ((title, "Background"), "Metformin is first-line."),
        ((title, "Methods and results"), "We pooled 347 trials."),
        ((title, "Aims/hypothesis"), "Mixed-case label."),
        ((title, "Conclusions"), "Acidosis was rare."),
    ]
    assert docs[1].sections[0].heading_path == ("Warfarin genotype dosing", "Abstract")
    assert docs[2].sections[0].heading_path == ("Electronic-only date", "Abstract")


def test_single_article_root_is_accepted() -> None:
    start = ARTICLE_SET.index(b"<PubmedArticle>")
    end = ARTICLE_SET.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")

    result = load(ARTICLE_SET[start:end])

    assert [d.meta.pmid for d in result.documents] == ["21645889"]


def test_duplicate_pmid_is_reported_once_loaded() -> None:
    article = b"<PubmedArticle><MedlineCitation><PMID>5</PMID><Article><ArticleTitle>T</ArticleTitle>"
    article += (
        b"<Abstract><AbstractText>x</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
    )

    result = load(b"<PubmedArticleSet>" + article + article + b"</PubmedArticleSet>")

    assert len(result.documents) == 1
    assert result.record_errors == ["article PMID 5: duplicate of an earlier article"]


def test_set_without_any_abstract_is_a_file_error() -> None:
    data = b"""<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID>
      <Article><ArticleTitle>No abstract</ArticleTitle></Article></MedlineCitation></PubmedArticle>
      <PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle></PubmedArticleSet>"""

    with pytest.raises(
        IngestError, match=r"no loadable articles: article PMID 7: no abstract text; article 2: no PMID"
    ):
        load(data)


def test_empty_set_is_a_file_error() -> None:
    with pytest.raises(IngestError, match="no extractable text"):
        load(b"<PubmedArticleSet></PubmedArticleSet>")


def test_publication_types_are_kept_and_name_the_design() -> None:
    first, second = load(ARTICLE_SET).documents[:2]
    assert first.meta.extra == {"publication_types": "Journal Article; Meta-Analysis"}
    assert second.meta.extra == {}  # none listed: nothing invented
    design = evidence_strength(
        first.sections[0].text,
        doc_type=first.meta.doc_type,
        publication_types=publication_types_of(dict(first.meta.extra)),
    ).study_design
    assert design == "meta_analysis"  # the abstract's words alone ("We pooled 347 trials") name none
