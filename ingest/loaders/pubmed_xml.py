"""PubMed XML (efetch ``PubmedArticleSet``): one document per article, a section per abstract part."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from ingest.loaders.base import LoadContext, LoadResult, normalise_whitespace
from ingest.loaders.meta import clean_title, parse_year
from rag_service.domain.documents import DocumentMeta, Section, SourceDocument
from rag_service.domain.errors import IngestError

_UNLABELLED = "Abstract"


def from_element(root: Element, ctx: LoadContext) -> LoadResult:
    """Turn a parsed ``PubmedArticleSet`` (or a single ``PubmedArticle``) into documents.

    An article without a PMID or without abstract text is reported in ``record_errors`` and the others load.

    Args:
        root: The root element, namespaces already stripped.
        ctx: Facts about the file.

    Returns:
        One ``literature`` document per usable article, with id ``pmid-<PMID>``.

    Raises:
        IngestError: No article in the file could be loaded.
    """
    articles = [root] if root.tag == "PubmedArticle" else root.findall("PubmedArticle")
    result = LoadResult(documents=[])
    seen: set[str] = set()
    for position, article in enumerate(articles, start=1):
        try:
            doc = _article(article, position, ctx)
        except _RecordError as exc:
            result.record_errors.append(str(exc))
            continue
        if doc.meta.doc_id in seen:
            result.record_errors.append(f"article PMID {doc.meta.pmid}: duplicate of an earlier article")
            continue
        seen.add(doc.meta.doc_id)
        result.documents.append(doc)
    for book in root.findall("PubmedBookArticle"):
        pmid = _text(book.find("BookDocument/PMID")) or "?"
        result.record_errors.append(f"book article PMID {pmid}: PubMed book chapters are not supported")
    if not result.documents:
        if not result.record_errors:
            raise IngestError("no extractable text (the file holds no PubMed articles)")
        raise IngestError("no loadable articles: " + "; ".join(result.record_errors[:3]))
    return result


class _RecordError(Exception):
    """One article that cannot be loaded; the message names it by PMID or position."""


def _article(article: Element, position: int, ctx: LoadContext) -> SourceDocument:
    citation = article.find("MedlineCitation")
    if citation is None:
        raise _RecordError(f"article {position}: no MedlineCitation element")
    pmid = _text(citation.find("PMID"))
    if not pmid:
        raise _RecordError(f"article {position}: no PMID")
    info = citation.find("Article")
    if info is None:
        raise _RecordError(f"article PMID {pmid}: no Article element")
    raw_title = _text(info.find("ArticleTitle")) or _text(info.find("VernacularTitle"))
    title = clean_title(raw_title) or f"PMID {pmid}"
    sections = _abstract(info, title)
    if not sections:
        raise _RecordError(f"article PMID {pmid}: no abstract text")
    ids = _article_ids(article)
    try:
        meta = DocumentMeta(
            doc_id=f"pmid-{pmid}",
            title=title,
            source=str(ctx.path),
            url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            journal=_text(info.find("Journal/Title")) or None,
            year=_year(info),
            doc_type="literature",
            pmid=pmid,
            pmcid=ids.get("pmc"),
            doi=_doi(info) or ids.get("doi"),
            language=_text(info.find("Language")) or None,
            extra=_publication_types(info),
        )
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise _RecordError(f"article PMID {pmid}: invalid {field}") from exc
    return SourceDocument(meta=meta, sections=sections)


def _publication_types(info: Element) -> dict[str, str | int | float | bool]:
    """PubMed's publication types ("Randomized Controlled Trial; Journal Article"), which name the study design."""
    types = [t for t in (_text(e) for e in info.findall("PublicationTypeList/PublicationType")) if t]
    return {"publication_types": "; ".join(dict.fromkeys(types))} if types else {}


def _abstract(info: Element, title: str) -> list[Section]:
    sections: list[Section] = []
    for part in info.findall("Abstract/AbstractText"):
        text = normalise_whitespace(_text(part, keep_lines=True))
        if text:
            sections.append(Section(heading_path=(title, _label(part)), text=text))
    return sections


def _label(part: Element) -> str:
    label = " ".join((part.get("Label") or "").split())
    if label:
        # PubMed often shouts labels ("METHODS AND RESULTS"); mixed case ("Aims/hypothesis") stays as written.
        return label.capitalize() if label.isupper() else label
    category = (part.get("NlmCategory") or "").strip()
    if category and category.upper() != "UNASSIGNED":
        return category.capitalize()
    return _UNLABELLED


def _year(info: Element) -> int | None:
    pub_date = info.find("Journal/JournalIssue/PubDate")
    if pub_date is not None:
        year = parse_year(_text(pub_date.find("Year"))) or parse_year(_text(pub_date.find("MedlineDate")))
        if year is not None:
            return year
    return parse_year(_text(info.find("ArticleDate/Year")))


def _doi(info: Element) -> str | None:
    for eid in info.findall("ELocationID"):
        if (eid.get("EIdType") or "").lower() == "doi" and _text(eid):
            return _text(eid)
    return None


def _article_ids(article: Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for aid in article.findall("PubmedData/ArticleIdList/ArticleId"):
        kind = (aid.get("IdType") or "").lower()
        value = _text(aid)
        if kind and value:
            ids.setdefault(kind, value)
    return ids


def _text(element: Element | None, *, keep_lines: bool = False) -> str:
    """All text inside an element, markup (<i>, <sup>) dropped; whitespace collapsed unless ``keep_lines``."""
    if element is None:
        return ""
    text = "".join(element.itertext())
    return text.strip() if keep_lines else re.sub(r"\s+", " ", text).strip()
