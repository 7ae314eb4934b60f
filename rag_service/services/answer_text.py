"""How quoted passages become answer text: Markdown read deliberately, and the section a quote depends on.

Passages keep the Markdown of their source ("- **First-line:** Amoxicillin ..."). An answer quotes plain
prose instead: :func:`plain_lines` parses the passage with markdown-it and gives one line per paragraph, list
item, heading or table row, emphasis markers and bullets removed. Quoting and verification both work on these
lines, so a cleaned sentence is compared with cleaned evidence.

A quote whose meaning depends on its section (a dose listed under "Moderate Severity (CURB-65 2, inpatient
ward)") carries that heading as a lead-in, verbatim from the passage's heading path:
"Moderate Severity (CURB-65 2, inpatient ward): First-line: Amoxicillin ...". :func:`split_lead_in` takes such a
lead-in off again before the sentence is scored, accepting it only when it is exactly a heading of a cited
passage, so a lead-in is never invented and the quote after it is still verified.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

LEAD_IN_SEPARATOR = ": "
_ENDINGS = ".!?:;"
_WORDS = re.compile(r"[^\W_]+")
_PARSER = MarkdownIt("commonmark").enable("table")
# Headings that name a part of a document, not a population, severity, route or setting.
_GENERIC_HEADINGS = frozenset(
    {
        "abstract",
        "background",
        "introduction",
        "overview",
        "summary",
        "key points",
        "general principles",
        "methods",
        "results",
        "conclusion",
        "conclusions",
        "discussion",
        "references",
        "limitations",
        "recommendations",
        "notes",
    }
)


@dataclass(frozen=True, slots=True)
class PlainLine:
    """One block of a passage as plain text, and whether it was a list item."""

    text: str
    list_item: bool


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())


def plain_lines(markdown: str) -> list[PlainLine]:
    """The passage as plain-text blocks: paragraphs, list items, headings and table rows, in order.

    Emphasis, bullets, heading marks and link syntax are removed; the words and their order are the source's.
    A table row becomes its cells joined by "; "; a block that does not end a sentence is given a full stop.
    """
    lines: list[PlainLine] = []
    depth = 0
    row: list[str] | None = None
    for token in _PARSER.parse(markdown):
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            text = "; ".join(cell for cell in row if cell)
            if text:
                lines.append(PlainLine(text, False))
            row = None
        elif token.type == "inline":
            text = _inline_text(token)
            if row is not None:
                row.append(text)
            elif text:
                lines.append(PlainLine(text, depth > 0))
        elif token.type in ("fence", "code_block"):
            text = " ".join(token.content.split())
            if text:
                lines.append(PlainLine(text, depth > 0))
    # A list item or table row without its own full stop still ends there: it becomes a sentence of its own
    # rather than running into the next one when the answer is split into sentences again.
    return [
        line if line.text[-1] in _ENDINGS else PlainLine(line.text + ".", line.list_item) for line in lines
    ]


MARKDOWN_SUFFIXES = (".md", ".markdown")


def is_markdown(source: str) -> bool:
    """Whether a document came from a Markdown file, the only kind whose passages are read as Markdown.

    Plain text, abstracts, PDF and HTML text are quoted as they are: reading them as Markdown would find
    emphasis in an asterisk and lists in a numbered line, and their section names ("Background", "Results")
    qualify nothing.
    """
    return source.lower().endswith(MARKDOWN_SUFFIXES)


def passage_lines(text: str, markdown: bool) -> list[PlainLine]:
    """A passage as the blocks its sentences are quoted from: read as Markdown, or whole as it is."""
    return plain_lines(text) if markdown else [PlainLine(text, False)]


def passage_text(text: str, markdown: bool) -> str:
    """A passage as answers quote it and verification reads it (plain text for Markdown, else as stored)."""
    return plain_text(text) if markdown else text


def plain_text(markdown: str) -> str:
    """The passage as plain text, one block a line (what answer sentences are quoted from and checked against)."""
    return "\n".join(line.text for line in plain_lines(markdown))


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(text) if len(w) > 2 or w.isdigit()}


def lead_in(sentence: str, heading_path: Sequence[str], *, title: str | None, list_item: bool) -> str:
    """The heading a quoted sentence needs in front of it, verbatim from its passage's heading path, or "".

    The nearest heading is used. None is needed when the path is empty, when the nearest heading is the
    document's title or a generic one ("Summary", "Results"), or when the sentence already states every
    content word of the heading. A generic nearest heading gives way to the informative one above it only for a
    list item, whose meaning depends most on where it sits.
    """
    headings = [h.strip() for h in heading_path if h and h.strip()]
    for heading in reversed(headings):
        if title is not None and heading.strip() == title.strip():
            return ""
        if heading.lower().rstrip(":") in _GENERIC_HEADINGS:
            if list_item:
                continue
            return ""
        if _content_words(heading) <= _content_words(sentence):
            return ""
        return heading
    return ""


def with_lead_in(heading: str, sentence: str) -> str:
    """``sentence`` introduced by ``heading`` ("High Severity (CURB-65 3-5): Co-amoxiclav ...")."""
    if not heading:
        return sentence
    return f"{heading.rstrip(':').rstrip()}{LEAD_IN_SEPARATOR}{sentence}"


def split_lead_in(sentence: str, headings: Iterable[str]) -> tuple[str, str]:
    """A sentence's lead-in (a heading of a cited passage, verbatim) and the rest; ("", sentence) without one.

    The longest matching heading wins, so "Adults (over 18)" is not cut as "Adults".
    """
    for heading in sorted(
        {h.strip().rstrip(":").rstrip() for h in headings if h.strip()}, key=len, reverse=True
    ):
        prefix = f"{heading}{LEAD_IN_SEPARATOR}"
        if sentence.startswith(prefix) and sentence[len(prefix) :].strip():
            return heading, sentence[len(prefix) :]
    return "", sentence
