"""Finds and redacts patient identifiers (PHI) in a question with a documented rule set.

Microsoft Presidio was the first choice, but its analyzer needs a spaCy language model that cannot be installed
offline, so the detection is a small set of regular expressions and curated word lists, each rule below with
what it catches. Nothing here imports a framework; the functions are pure and deterministic.

Kinds and rules:

* ``NAME``: one to three capitalised words after a title (Mr, Mrs, Ms, Miss, Mx, Dr, Prof, Nurse, Sister);
  after a cue ("patient", "named", "called", "name is", "son", "wife", "next of kin:" ...); a common first name
  followed by a capitalised word; or two capitalised words opening a clause and followed by ``'s``, a comma or
  a verb typical of case notes ("was", "has", "reports" ...). Words of a stop list (pronouns, question words,
  months, clinical nouns such as Disease, Syndrome, Scale) are never part of a name, so eponyms such as
  "Parkinson disease" or "Glasgow Coma Scale" are left alone.
* ``DATE``: 14/03/2025, 14.03.2025, 14-03-25, 2025-03-14, "3 March 2025", "3rd of March", "March 3, 2025",
  "Mar 3", "March 2025". A year on its own is not a date here (it identifies nobody).
* ``PHONE``: digit groups with separators, optionally with +country code or an (area code), 10 to 13 digits.
* ``MRN``: an identifier after a cue (MRN, medical record / hospital / chart / record number, patient ID, NHS
  number, SSN, insurance number), and US social security numbers (123-45-6789).
* ``EMAIL``: addresses of the form local@domain.tld.
* ``ADDRESS``: a house number and one to three capitalised words ending in a street type (Street, Road,
  Avenue, Lane, Close ...), UK postcodes (LS6 2QT) and US state + ZIP after a comma (", IL 62704").
* ``AGE``: ages of 90 and over ("94-year-old", "97 years old", "aged 91", "was 95"), which HIPAA counts as
  identifying; younger ages are kept because they matter clinically and identify nobody.

Known limits: names written in lower case, a single surname with no title or cue, and cities are not found.
Figures on a synthetic set are in eval/README.md (``python -m eval.bench_phi``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PhiKind = Literal["NAME", "DATE", "PHONE", "MRN", "EMAIL", "ADDRESS", "AGE"]
PHI_KINDS: tuple[PhiKind, ...] = ("NAME", "DATE", "PHONE", "MRN", "EMAIL", "ADDRESS", "AGE")


@dataclass(frozen=True, order=True)
class Span:
    """One identifier found in a text: characters ``start:end`` of the kind ``kind``."""

    start: int
    end: int
    kind: PhiKind


_CAP = r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


# Capitalised words that are never part of a name: sentence openers, question words, months and days,
# record headings, and clinical nouns that follow an eponym ("Addison disease", "Wells Score").
_STOP = _words(
    """
    The A An This That These Those He She It They We You I His Her Its Their Our My Your Is Was Are Were Be
    Has Had Have Can Could Should Would Will May Might Must Shall Does Do Did What Which Who Whom Whose How Why
    When Where In On At For With And Or But If Since After Before From To Of By As Not No Yes Please Send Call
    Phone Email Write Contact Date Dob Mrn Nhs Record Chart Hospital Admission Address Mobile Next Follow
    Patient Patients Doctor Nurse Sister Mr Mrs Ms Miss Mx Dr Prof Professor Tel Telephone Ward Bay Clinic
    January February March April June July August September October November December Jan Feb Mar Apr Jun
    Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday Today Yesterday
    Disease Syndrome Sign Signs Scale Score Scores Criteria Rule Rules Test Palsy Murmur Tear Phenomenon
    Lymphoma Sarcoma Thyroiditis Examination Index Classification Stage Grade Type Guideline Guidelines
    Association Society College Institute Service Trust Health Heart Care Unit Team Department Centre Center
    Adults Adult Children Child Start Stop Give Use Target Dose Doses Treatment Therapy Severe Acute Chronic
    """
)

_FIRST_NAMES = _words(
    """
    James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony
    Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Edward Ronald Timothy Jason Jeffrey Ryan
    Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Frank Gregory Raymond
    Alexander Patrick Jack Dennis Jerry Tyler Aaron Henry Adam Peter Harry Oliver Noah Liam Ethan Lucas Mason
    Leo Oscar Arthur Alfie Charlie Freddie Harold Walter Albert Alan Graham Ian Neil Simon Martin Keith Colin
    Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Margaret Betty Sandra
    Ashley Dorothy Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura Sharon
    Cynthia Kathleen Amy Shirley Angela Helen Anna Brenda Pamela Nicole Samantha Katherine Emma Ruth Christine
    Catherine Debra Rachel Carolyn Janet Virginia Maria Heather Diane Julie Joyce Victoria Kelly Christina
    Joan Evelyn Lauren Judith Olivia Martha Cheryl Megan Andrea Hannah Jacqueline Ann Jean Alice Kathryn
    Gloria Teresa Doris Sara Janice Julia Marie Madison Grace Judy Theresa Beverly Denise Marilyn Amber
    Danielle Abigail Brittany Rose Diana Natalie Sophia Sophie Isabella Chloe Lucy Ella Mia Ava Amelia Lily
    Muhammad Mohammed Ahmed Ali Omar Hassan Fatima Aisha Priya Raj Rajesh Arjun Anita Sunita Wei Li Yuki Kenji
    Hiroshi Chen Mei Jose Juan Carlos Luis Pedro Miguel Sofia Lucia Elena Ana Ivan Olga Dmitri Sergei Anna
    Kwame Kofi Ama Chinedu Ngozi Adaeze Oluwaseun Fatou Ibrahim Moussa Amara Nadia Leila Samir Tariq
    """
)

_TITLE = r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Nurse|Sister)\.?\s+"
_CUE = (
    r"(?i:\b(?:patient|pt|named|called|name\s+is|name:|son|daughter|wife|husband|partner|mother|father|"
    r"brother|sister|carer|kin:|from\s+dr\.?|by\s+dr\.?))\s*,?\s+"
)
_NAME_WORDS = rf"({_CAP}(?:\s+{_CAP}){{0,2}})"
_GENERIC_FOLLOW = (
    r"(?='s\b|,|\s+(?:was|is|has|had|asks|asked|reports|reported|wants|would|took|lives|needs|refuses|"
    r"said|says|presents|presented|complains|underwent|received|started|developed|takes|denies)\b)"
)

_RULES: tuple[tuple[PhiKind, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        "MRN",
        re.compile(
            r"(?i:\b(?:MRN|(?:medical\s+)?record\s+(?:number|no\.?)|hospital\s+(?:number|no\.?)|"
            r"chart\s+(?:number|no\.?)|patient\s+id|NHS\s+(?:number|no\.?)|SSN|social\s+security\s+"
            r"(?:number|no\.?)|insurance\s+(?:number|no\.?)))\s*(?:(?:is|of|:|#)\s*)*"
            r"((?:[A-Z]{1,3}-?)?\d{2,}(?:[ -]\d{2,})*)"
        ),
    ),
    ("MRN", re.compile(r"(?<![\d-])(\d{3}-\d{2}-\d{4})(?![\d-])")),
    ("DATE", re.compile(r"(?<![\d./-])(\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}))(?![\d/-]|\.\d)")),
    ("DATE", re.compile(r"(?<![\d-])(\d{4}-\d{2}-\d{2})(?![\d-])")),
    ("DATE", re.compile(rf"(?<![\d.])((?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}\b\.?(?:,?\s+{_YEAR}\b)?)")),
    ("DATE", re.compile(rf"\b({_MONTH}\.?\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?)(?!\d|\.\d)")),
    ("DATE", re.compile(rf"\b({_MONTH}\s+{_YEAR})\b")),
    (
        "PHONE",
        re.compile(
            r"(?<![\w+/.-])((?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)|\d{2,5})(?:[\s.-]\d{2,6}){1,3})(?![\w/-]|\.\w)"
        ),
    ),
    (
        "ADDRESS",
        re.compile(
            rf"\b(\d{{1,5}}\s+(?:{_CAP}\s+){{1,3}}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Close|Way|"
            r"Boulevard|Blvd|Place|Terrace|Crescent|Court|Gardens|Grove|Square|Row|Walk|Mews|Parade)\b)"
        ),
    ),
    ("ADDRESS", re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})\b")),
    ("ADDRESS", re.compile(r"(?<=,\s)([A-Z]{2}\s\d{5}(?:-\d{4})?)\b")),
    ("AGE", re.compile(r"\b((?:9\d|1[01]\d)[- ]years?[- ]old)\b")),
    ("AGE", re.compile(r"(?i:\b(aged?\s+(?:9\d|1[01]\d))\b)(?!\s*(?:%|\.\d|mg|kg|ml|mmol|mmhg|bpm))")),
    ("AGE", re.compile(r"\b(?:is|was|now)\s+(9\d|1[01]\d)\b(?!\s*(?:%|\.\d|/|mg|kg|mL|mmol|mmHg|bpm|per))")),
    ("NAME", re.compile(_TITLE + _NAME_WORDS)),
    ("NAME", re.compile(_CUE + _NAME_WORDS)),
    ("NAME", re.compile(rf"\b((?:{'|'.join(sorted(_FIRST_NAMES))})\s+{_CAP})\b")),
    ("NAME", re.compile(rf"(?<![A-Za-z]\s)(?<![A-Za-z])({_CAP}\s+{_CAP}){_GENERIC_FOLLOW}")),
)


def _name_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The name's span with stop-list words trimmed off both ends; None when nothing is left."""
    words = list(re.finditer(r"\S+", text[start:end]))
    kept = [w for w in words if w.group() not in _STOP]
    if len(kept) != len(words):
        # A stop word inside ends the name at the first one ("Mrs Rosa Delgado Has" is not a name of three).
        first_stop = next(i for i, w in enumerate(words) if w.group() in _STOP)
        words = words[:first_stop]
    if not words:
        return None
    return start + words[0].start(), start + words[-1].end()


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _plausible(kind: PhiKind, found: str) -> bool:
    """Phone numbers have 10 to 13 digits; record numbers at least 5."""
    if kind == "PHONE":
        return 10 <= _digits(found) <= 13
    return kind != "MRN" or _digits(found) >= 5


def find_phi(text: str) -> list[Span]:
    """Every identifier found in ``text``, in order, without overlaps (the longer one wins)."""
    found: list[Span] = []
    for kind, pattern in _RULES:
        for match in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            start, end = match.span(group)
            if kind == "NAME":
                trimmed = _name_span(text, start, end)
                if trimmed is None:
                    continue
                start, end = trimmed
            elif not _plausible(kind, match.group(group)):
                continue
            found.append(Span(start, end, kind))
    # Longest first, then by rule order (the order of _RULES: cues beat shapes), then keep non-overlapping.
    rank = {id(s): i for i, s in enumerate(found)}
    chosen: list[Span] = []
    for span in sorted(found, key=lambda s: (-(s.end - s.start), rank[id(s)])):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def redact(text: str, spans: list[Span] | None = None) -> str:
    """``text`` with each identifier replaced by its kind in brackets, e.g. ``[NAME]`` or ``[DATE]``."""
    spans = find_phi(text) if spans is None else spans
    parts: list[str] = []
    at = 0
    for span in sorted(spans):
        parts.append(text[at : span.start])
        parts.append(f"[{span.kind}]")
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def phi_kinds(text: str) -> list[PhiKind]:
    """The kinds of identifier found in ``text``, each once, in the order of ``PHI_KINDS``."""
    kinds = {span.kind for span in find_phi(text)}
    return [kind for kind in PHI_KINDS if kind in kinds]
