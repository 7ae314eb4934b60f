"""PMC full text (JATS ``<article>``): abstract and body sections keyed by their nested ``<sec>`` titles."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from ingest.loaders.base import LoadContext, LoadResult, normalise_whitespace
from ingest.loaders.meta import clean_title, parse_year, readable_stem
from rag_service.domain.documents import DocumentMeta, Section, SourceDocument
from rag_service.domain.errors import IngestError

# Floating objects: only their captions are text a reader would quote; table cells come out as number soup.
_FLOATS = frozenset({"table-wrap", "table-wrap-group", "fig", "fig-group", "supplementary-material"})
# Elements whose text is markup noise or repeated elsewhere (the reference list, formula source code).
_SKIP = frozenset({"ref-list", "tex-math", "alternatives", "object-id", "fn-group", "label"})
_BLOCK_TAGS = frozenset({"p", "title", "caption", "list-item", "sec", "td", "th", "tr", "def-item", "term"})
_PUB_TYPE_PREFERENCE = ("ppub", "epub", "pub", "epub-ppub", "collection")


def from_element(root: Element, ctx: LoadContext) -> LoadResult:
    """Turn a parsed JATS ``<article>`` into one document.

    Args:
        root: The ``article`` element, namespaces already stripped.
        ctx: Facts about the file.

    Returns:
        One ``literature`` document with id ``pmc-<PMCID>``, ``pmid-<PMID>`` or the file's default id.

    Raises:
        IngestError: The article has neither abstract nor body text, or its metadata is invalid.
    """
    meta_el = root.find("front/article-meta")
    ids = _ids(meta_el)
    title = clean_title(_text(meta_el.find("title-group/article-title"))) if meta_el is not None else ""
    title = title or readable_stem(ctx.path)
    sections: list[Section] = []
    if meta_el is not None:
        for abstract in meta_el.findall("abstract"):
            if abstract.get("abstract-type") in ("graphical", "teaser"):
                continue
            heading = clean_title(_text(abstract.find("title"))) or "Abstract"
            _collect(abstract, (title, heading), sections)
    body = root.find("body")
    if body is not None:
        _collect(body, (title,), sections)
    if not sections:
        raise IngestError("no extractable text")
    pmcid, pmid = ids.get("pmc"), ids.get("pmid")
    doc_id = f"pmc-{pmcid}" if pmcid else f"pmid-{pmid}" if pmid else ctx.default_doc_id
    if pmcid:
        url: str | None = f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"
    elif pmid:
        url = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    else:
        url = f"https://doi.org/{ids['doi']}" if ids.get("doi") else None
    journal = _text(root.find("front/journal-meta/journal-title-group/journal-title")) or _text(
        root.find("front/journal-meta/journal-title")
    )
    try:
        meta = DocumentMeta(
            doc_id=doc_id,
            title=title,
            source=str(ctx.path),
            url=url,
            journal=journal or None,
            year=_year(meta_el),
            doc_type="literature",
            pmid=pmid,
            pmcid=pmcid,
            doi=ids.get("doi"),
            language=root.get("{http://www.w3.org/XML/1998/namespace}lang") or None,
            extra=_publication_types(root, meta_el),
        )
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise IngestError(f"invalid article metadata: {field}") from exc
    return LoadResult(documents=[SourceDocument(meta=meta, sections=sections)])


# JATS article types that name a study design, in PubMed's publication-type words.
_ARTICLE_TYPES = {
    "case-report": "Case Reports",
    "review-article": "Review",
    "systematic-review": "Systematic Review",
    "meta-analysis": "Meta-Analysis",
    "practice-guideline": "Practice Guideline",
}


def _publication_types(root: Element, meta_el: Element | None) -> dict[str, str | int | float | bool]:
    """The article's type and its subject headings ("Systematic Review", "Randomized Controlled Trial")."""
    types: list[str] = []
    article_type = (root.get("article-type") or "").strip().lower()
    if article_type in _ARTICLE_TYPES:
        types.append(_ARTICLE_TYPES[article_type])
    if meta_el is not None:
        for group in meta_el.findall("article-categories//subj-group"):
            if group.get("subj-group-type") in (None, "heading", "article-type"):
                types += [t for t in (_text(s) for s in group.findall("subject")) if t]
    return {"publication_types": "; ".join(dict.fromkeys(types))} if types else {}


def _collect(container: Element, path: tuple[str, ...], out: list[Section]) -> None:
    """Append the container's own paragraphs as one section, then each nested ``<sec>`` in document order.

    Paragraphs that follow a nested section (rare, but valid JATS) become a second section under ``path``
    so document order is kept.
    """
    paragraphs: list[str] = []

    def flush() -> None:
        text = normalise_whitespace("\n\n".join(paragraphs))
        paragraphs.clear()
        if text:
            out.append(Section(heading_path=path, text=text))

    for child in container:
        if child.tag == "sec":
            flush()
            sec_title = clean_title(_text(child.find("title")))
            _collect(child, (*path, sec_title) if sec_title else path, out)
        elif child.tag == "title" or child.tag in _SKIP:
            continue
        else:
            paragraphs.extend(_blocks(child))
    flush()


def _blocks(element: Element) -> list[str]:
    """Paragraph texts of one element: floats reduced to their captions, lists to "- item" lines."""
    tag = element.tag
    if tag in _FLOATS:
        caption = element.find("caption")
        label = _text(element.find("label"))
        text = _text(caption) if caption is not None else ""
        return [f"{label}: {text}" if label and text else text] if text else []
    if tag == "list":
        return ["\n".join(f"- {_text(item)}" for item in element.findall("list-item") if _text(item))]
    if tag in ("p", "title", "disp-quote", "speech", "statement", "def-item", "verse-group"):
        # A paragraph may embed a table or figure; its caption follows the paragraph instead of the cells.
        floats = [block for child in element.iter() if child.tag in _FLOATS for block in _blocks(child)]
        return [t for t in (_text(element), *floats) if t]
    if tag in _SKIP:
        return []
    nested = [block for child in element for block in _blocks(child)]
    if nested:
        return nested
    text = _text(element)
    return [text] if text else []


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    parts: list[str] = [element.text or ""]
    for child in element:
        _gather(child, parts)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _gather(element: Element, parts: list[str]) -> None:
    # Like itertext(), but leaving out floats and formula source, and keeping block boundaries as spaces so a
    # caption's title and paragraph do not run together. A tail is the parent's text and always counts.
    if element.tag not in _FLOATS and element.tag not in _SKIP:
        block = element.tag in _BLOCK_TAGS
        parts.append(" " if block else "")
        parts.append(element.text or "")
        for child in element:
            _gather(child, parts)
        parts.append(" " if block else "")
    parts.append(element.tail or "")


def _ids(meta_el: Element | None) -> dict[str, str]:
    ids: dict[str, str] = {}
    if meta_el is None:
        return ids
    for aid in meta_el.findall("article-id"):
        kind = (aid.get("pub-id-type") or "").lower()
        value = "".join((aid.text or "").split())
        if not value:
            continue
        if kind in ("pmc", "pmcid"):
            # PMC writes the id both as "PMC1234567" and as "1234567"; keep one spelling.
            ids.setdefault("pmc", value if value.upper().startswith("PMC") else f"PMC{value}")
        elif kind in ("pmid", "doi"):
            ids.setdefault(kind, value)
    return ids


def _year(meta_el: Element | None) -> int | None:
    if meta_el is None:
        return None
    dates = meta_el.findall("pub-date")
    for kind in _PUB_TYPE_PREFERENCE:
        for date in dates:
            if kind in (date.get("pub-type"), date.get("date-type")):
                year = parse_year(_text(date.find("year")))
                if year is not None:
                    return year
    return next((y for d in dates if (y := parse_year(_text(d.find("year")))) is not None), None)
