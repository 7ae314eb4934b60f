"""HTML loader: page chrome removed, body text grouped into sections by the page's own h1-h6 headings."""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from ingest.loaders.base import LoadContext, LoadResult, normalise_whitespace
from ingest.loaders.meta import clean_title, parse_year, readable_stem
from rag_service.domain.documents import DocumentMeta, Section, SourceDocument
from rag_service.domain.errors import IngestError

# Site chrome repeats on every page of a site and would drown the content in retrieval.
_PAGE_CHROME = ("nav", "header", "footer", "aside", "form")
_NOT_TEXT = ("script", "style", "noscript", "template", "svg", "iframe")
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
# Tags that flow inside a line of text; every other tag starts a new block.
_INLINE = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font"}
    | {"i", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong"}
    | {"sub", "sup", "time", "tt", "u", "var", "wbr"}
)
_SKIP_NODES = (Comment, Declaration, Doctype, ProcessingInstruction)

_YEAR_META = ("citation_publication_date", "citation_date", "dc.date", "dcterms.date", "citation_year")


def load(data: bytes, ctx: LoadContext) -> LoadResult:
    """Parse an HTML page into one document with a section per heading.

    The character encoding comes from a byte-order mark or the page's ``<meta charset>``; bytes that do not
    decode are replaced rather than rejected, because real pages often mix encodings in a few characters.

    Args:
        data: The file's bytes.
        ctx: Facts about the file.

    Returns:
        One document.

    Raises:
        IngestError: The file is binary or has no text outside page chrome.
    """
    if not data.strip():
        raise IngestError("no extractable text")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("binary content, not HTML")
    soup = BeautifulSoup(data, "lxml")
    metas = _meta_tags(soup)
    title = _title(soup, metas) or readable_stem(ctx.path)
    for tag in soup.find_all((*_PAGE_CHROME, *_NOT_TEXT)):
        # Skip tags inside one already removed, and keep an article's own <header> (it holds its <h1>).
        if tag.decomposed or (tag.name == "header" and tag.find_parent(("article", "main"))):
            continue
        tag.decompose()
    root = soup.body or soup
    walker = _Walker(title)
    walker.walk(root)
    sections = walker.finish()
    if not sections:
        raise IngestError("no extractable text")
    meta = DocumentMeta(
        doc_id=ctx.default_doc_id,
        title=title,
        source=str(ctx.path),
        url=metas.get("og:url") or _canonical(soup),
        organisation=metas.get("citation_publisher") or metas.get("dc.publisher"),
        journal=metas.get("citation_journal_title"),
        year=next((y for key in _YEAR_META if (y := parse_year(metas.get(key))) is not None), None),
        doi=_strip_doi(metas.get("citation_doi") or metas.get("dc.identifier.doi")),
        pmid=metas.get("citation_pmid"),
        language=metas.get("citation_language") or _html_lang(soup),
    )
    return LoadResult(documents=[SourceDocument(meta=meta, sections=sections)])


@dataclass
class _Walker:
    """Walks the tree in document order, cutting text into paragraphs and paragraphs into sections."""

    title: str
    headings: list[tuple[int, str]] = field(default_factory=list)
    # Paragraphs with their kind: consecutive list items or table rows are joined by one line break, not two.
    paragraphs: list[tuple[str, str]] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    item_prefix: str | None = None

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, _SKIP_NODES):
                continue
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
            elif isinstance(child, Tag):
                self._tag(child)

    def _tag(self, tag: Tag) -> None:
        name = tag.name
        if name in _HEADINGS:
            self._heading(_HEADINGS[name], clean_title(tag.get_text(" ")))
        elif name == "br":
            self.inline.append("\n")
        elif name in _INLINE:
            self.walk(tag)
        elif name == "pre":
            self._end_paragraph()
            # Preformatted text keeps its line breaks: dosing tables are often laid out with spaces.
            self.paragraphs.append((tag.get_text(), "pre"))
        elif name == "li":
            self._end_paragraph()
            # The marker waits for the item's first text, which may sit in a nested <p>.
            self.item_prefix = "- "
            self.walk(tag)
            self._end_paragraph()
            self.item_prefix = None
        elif name == "tr":
            self._end_paragraph()
            cells = [" ".join(c.get_text(" ").split()) for c in tag.find_all(("td", "th"), recursive=False)]
            row = " | ".join(cell for cell in cells if cell)
            if row:
                self.paragraphs.append((row, "row"))
        elif name in ("img", "input", "button", "select", "object", "video", "audio", "canvas", "map"):
            return
        else:
            self._end_paragraph()
            self.walk(tag)
            self._end_paragraph()

    def _heading(self, level: int, text: str) -> None:
        self._end_section()
        if not text:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, text))

    def _end_paragraph(self) -> None:
        lines = ("".join(self.inline)).split("\n")
        self.inline.clear()
        text = "\n".join(" ".join(line.split()) if line.strip() else "" for line in lines).strip()
        if not text:
            return
        if self.item_prefix is not None:
            self.paragraphs.append((self.item_prefix + text, "item"))
            self.item_prefix = None
        else:
            self.paragraphs.append((text, "para"))

    def _end_section(self) -> None:
        self._end_paragraph()
        parts: list[str] = []
        previous = ""
        for text, kind in self.paragraphs:
            if parts:
                parts.append("\n" if kind == previous and kind in ("item", "row") else "\n\n")
            parts.append(text)
            previous = kind
        self.paragraphs.clear()
        body = normalise_whitespace("".join(parts))
        if not body:
            return
        path = tuple(text for _, text in self.headings)
        if not self.headings or self.headings[0][0] != 1:
            # Text outside any h1 goes under the page title, so the citation still names the document.
            path = (self.title, *path)
        self.sections.append(Section(heading_path=path, text=body))

    def finish(self) -> list[Section]:
        self._end_section()
        return self.sections


def _meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("name") or tag.get("property")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            # The first occurrence wins: pages list the primary DOI/date before related ones.
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _title(soup: BeautifulSoup, metas: dict[str, str]) -> str:
    candidates = [metas.get("citation_title", "")]
    if soup.title is not None:
        candidates.append(soup.title.get_text(" "))
    h1 = soup.find("h1")
    if isinstance(h1, Tag):
        candidates.append(h1.get_text(" "))
    return next((clean_title(c) for c in candidates if clean_title(c)), "")


def _canonical(soup: BeautifulSoup) -> str | None:
    for link in soup.find_all("link", href=True):
        rel = link.get("rel")
        rels: list[str] = [str(r) for r in rel] if isinstance(rel, list) else str(rel or "").split()
        if "canonical" in (r.lower() for r in rels):
            href = link.get("href")
            return href.strip() if isinstance(href, str) and href.strip() else None
    return None


def _html_lang(soup: BeautifulSoup) -> str | None:
    html = soup.find("html")
    lang = html.get("lang") if isinstance(html, Tag) else None
    return lang.strip() if isinstance(lang, str) and lang.strip() else None


def _strip_doi(doi: str | None) -> str | None:
    if not doi:
        return None
    for prefix in ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            return doi[len(prefix) :].strip() or None
    return doi
