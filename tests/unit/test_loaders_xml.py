"""XML entry point: safe parsing, nesting limit and dispatch on the root element."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import xml
from ingest.loaders.base import LoadContext, LoadResult
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PubmedArticleSet>&lol9;</PubmedArticleSet>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle>&secret;</PubmedArticle></PubmedArticleSet>
"""

ONE_ARTICLE = b"""<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>T</ArticleTitle><Abstract><AbstractText>Text.</AbstractText></Abstract>
</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""


def load(data: bytes, max_depth: int = 200) -> LoadResult:
    return xml.load(data, LoadContext(path=Path("a.xml"), default_doc_id="a.xml", max_xml_depth=max_depth))


def test_billion_laughs_is_refused_before_expansion() -> None:
    with pytest.raises(IngestError, match=r"^unsafe XML \(entity declarations are not allowed\)$"):
        load(BILLION_LAUGHS)


def test_external_entity_is_refused() -> None:
    with pytest.raises(IngestError, match="unsafe XML"):
        load(EXTERNAL_ENTITY)


def test_malformed_xml_reports_line_and_column() -> None:
    with pytest.raises(IngestError, match=r"^malformed XML: line 2 column 17$"):
        load(b"<PubmedArticleSet>\n<PubmedArticle></PubmedArticleSet>")


def test_nesting_beyond_the_limit_is_refused() -> None:
    deep = b"<a>" * 50 + b"x" + b"</a>" * 50

    with pytest.raises(IngestError, match="nested too deeply"):
        load(deep, max_depth=20)


def test_nesting_within_the_limit_is_parsed() -> None:
    assert load(ONE_ARTICLE, max_depth=6).documents[0].meta.pmid == "1"
    with pytest.raises(IngestError, match="nested too deeply"):
        load(ONE_ARTICLE, max_depth=5)


def test_a_doctype_naming_an_external_dtd_is_accepted_and_not_fetched() -> None:
    doctype = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN"'
        b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">\n'
    )

    assert load(doctype + ONE_ARTICLE).documents[0].meta.doc_id == "pmid-1"


def test_default_namespace_does_not_hide_the_schema() -> None:
    namespaced = ONE_ARTICLE.replace(
        b"<PubmedArticleSet>", b'<PubmedArticleSet xmlns="http://example.org/ns">'
    )

    assert load(namespaced).documents[0].meta.doc_id == "pmid-1"


@pytest.mark.parametrize(
    ("data", "root"),
    [(b"<rss><channel/></rss>", "rss"), (b"<Document id='1'><Focus>F</Focus></Document>", "Document")],
)
def test_unknown_root_is_refused_by_name(data: bytes, root: str) -> None:
    with pytest.raises(IngestError, match=f"^unsupported XML schema: root element <{root}>$"):
        load(data)


@pytest.mark.parametrize("data", [b"", b" \n "])
def test_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(IngestError, match=r"^no extractable text$"):
        load(data)
