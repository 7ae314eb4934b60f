"""Evidence strength of one passage: graded recommendations in guidelines, study designs in the literature.

The patterns are written by hand rather than learned: the grading schemes are small closed vocabularies
("Class IIa, LOE B-R", "Strong recommendation, Low quality of evidence", "Grade 2C", "USPSTF grade B") that a
regular expression states exactly and a reviewer can read, and a wrong guess about evidence strength misleads a
clinician, so anything that does not match a known form is left ``unknown``. Accuracy is measured on the
hand-labelled passages in ``eval/evidence_labels.jsonl`` (``python -m eval.bench_evidence``).

Rules, in short:
* A recommendation statement counts only inside a parenthesised or bracketed group of the passage or in a heading
  of its heading path, where guidelines put their ratings; prose such as "evidence is of low certainty" in a
  limitations section is not a rating of a recommendation.
* A field whose statements disagree (a passage holding a Class I and a Class IIa recommendation, "Grade 1B/2C")
  is ``unknown``, never the first or the strongest value.
* Bare letter grades ("Grade A") name no scheme (ADA evidence grades, USPSTF grades and others share them) and are
  ignored unless the passage or its source names the USPSTF.
* Study design comes from the document type (a guideline), then publication types kept in the metadata
  (``publication_types``), then the abstract's own words; designs a study only mentions ("a previous
  meta-analysis") or animal experiments do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag_service.domain.evidence import (
    Certainty,
    EvidenceStrength,
    EvidenceSystem,
    Strength,
    StudyDesign,
)
from rag_service.domain.retrieval import Evidence

# A rating whose strength is not stated (a bare "Class III", USPSTF "I"): it still disagrees with any other class.
_UNSTATED = "unstated"

_GROUP = re.compile(r"\(([^()]{1,200})\)|\[([^\[\]]{1,200})\]")

# ACC/AHA class of recommendation; "NYHA class III" and friends are functional classes, not ratings.
_ACC_CLASS = re.compile(
    r"(?<!NYHA )(?<!Killip )(?<!functional )(?<!WHO )(?<!ASA )\b(?:Class|COR)\s*:?\s*"
    r"(III|IIa|IIb|II|I|3|2a|2b|1)\b(?:\s*[:—–-]\s*(No\s+Benefit|Harm))?",
)
_ACC_LEVEL = re.compile(r"\b(?:LOE|Level\s+of\s+Evidence|Level)\s*:?\s*([ABC])(?:-?(R|NR|LD|EO))?\b")
_ACC_STRENGTH: dict[str, str] = {
    "I": "strong",
    "1": "strong",
    "IIa": "moderate",
    "2a": "moderate",
    "IIb": "weak",
    "2b": "weak",
    "II": _UNSTATED,  # an unqualified Class II (a or b?) is not a known rating
}

_GRADE_WORD = re.compile(r"\b(strong|weak|conditional)(?:ly)?\s+(?:recommendation|recommended)\b", re.I)
_GRADE_SHORT = re.compile(r"^\s*(strong|weak|conditional)\s*[,;]", re.I)
_GRADE_ALONE = re.compile(r"^\s*(strong|weak|conditional)\s*$", re.I)
_CERTAINTY_WORD = re.compile(
    r"\b(high|moderate|low|very[\s-]+low)[\s-]+(?:quality|certainty)\b"
    r"|\b(?:quality|certainty)\s+of\s+(?:the\s+)?evidence\s*[:,]?\s*(high|moderate|low|very[\s-]+low)\b",
    re.I,
)
# "(Strong, Moderate)": a bare certainty word only counts right after a strength word.
_SHORT_CERTAINTY = re.compile(
    r"^\s*(?:strong|weak|conditional)\s*[,;]\s*(high|moderate|low|very[\s-]+low)\b", re.I
)
_GRADE_CODE = re.compile(r"(?:\bGrade\s+|^\s*|/)([12])\s?([A-D])\b")
_GRADE_SYMBOLS = re.compile(r"([⨁⊕]{1,4})[○◯⊝O]*")
_GRADE_PLUS = re.compile(r"\|\s*(\+{1,4})[O○o]*\b")
_CODE_CERTAINTY: dict[str, Certainty] = {"A": "high", "B": "moderate", "C": "low", "D": "very_low"}
_COUNT_CERTAINTY: dict[int, Certainty] = {4: "high", 3: "moderate", 2: "low", 1: "very_low"}

_USPSTF_NAMED = re.compile(r"\bUSPSTF\b|Preventive\s+Services\s+Task\s+Force", re.I)
_USPSTF_GRADE = re.compile(r"\bgrade\s+([ABCDI])\b|\b([ABCDI])\s+(?:grade|recommendation)\b", re.I)
_USPSTF_STRENGTH: dict[str, str] = {
    "A": "strong",
    "B": "moderate",
    "C": "weak",
    "D": "strong",
    "I": _UNSTATED,
}
_NICE_NAMED = re.compile(r"\bNICE\b")
_NICE_OFFER = re.compile(r"(?:^|[.!:]\s+|\n\s*[-*]?\s*)(?:Do\s+not\s+)?(Offer|offer)\b")
_NICE_CONSIDER = re.compile(r"(?:^|[.!:]\s+|\n\s*[-*]?\s*)(Consider)\b")


@dataclass(frozen=True, slots=True)
class _Statement:
    system: EvidenceSystem
    strength: str | None
    certainty: Certainty | None
    label: str


def _acc_certainty(letter: str, suffix: str | None) -> Certainty:
    if letter == "A":
        return "high"
    if letter == "B":
        return "moderate"
    return "very_low" if (suffix or "").upper() == "EO" else "low"


def _acc_statements(unit: str) -> list[_Statement]:
    classes = list(_ACC_CLASS.finditer(unit))
    levels = list(_ACC_LEVEL.finditer(unit))
    if not classes and not levels:
        return []
    out: list[_Statement] = []
    for m in classes:
        cls, qualifier = m.group(1), (m.group(2) or "").lower()
        if cls in ("III", "3"):
            strength = {"harm": "strong", "no benefit": "moderate"}.get(
                " ".join(qualifier.split()), _UNSTATED
            )
        else:
            strength = _ACC_STRENGTH[cls]
        out.append(_Statement("acc_aha", strength, None, m.group(0)))
    for m in levels:
        out.append(_Statement("acc_aha", None, _acc_certainty(m.group(1), m.group(2)), m.group(0)))
    return out


def _norm_certainty(word: str) -> Certainty:
    return "very_low" if word.lower().startswith("very") else word.lower()  # type: ignore[return-value]  # checked by the pattern


def _grade_statements(unit: str) -> list[_Statement]:
    out: list[_Statement] = []
    strengths = [m.group(1).lower() for m in _GRADE_WORD.finditer(unit)]
    short = _GRADE_SHORT.match(unit) or _GRADE_ALONE.match(unit)
    if short and not strengths:
        strengths.append(short.group(1).lower())
    certainties = [_norm_certainty(m.group(1) or m.group(2)) for m in _CERTAINTY_WORD.finditer(unit)]
    short_certainty = _SHORT_CERTAINTY.match(unit)
    if short_certainty and not certainties:
        certainties.append(_norm_certainty(short_certainty.group(1)))
    for word in strengths:
        out.append(_Statement("grade", "strong" if word == "strong" else "weak", None, unit.strip()))
    for certainty in certainties:
        out.append(_Statement("grade", None, certainty, unit.strip()))
    for m in _GRADE_CODE.finditer(unit):
        strength = "strong" if m.group(1) == "1" else "weak"
        out.append(_Statement("grade", strength, _CODE_CERTAINTY[m.group(2).upper()], m.group(0).strip(" /")))
    for m in _GRADE_SYMBOLS.finditer(unit):
        out.append(_Statement("grade", None, _COUNT_CERTAINTY[len(m.group(1))], m.group(0)))
    for m in _GRADE_PLUS.finditer(unit):
        out.append(_Statement("grade", None, _COUNT_CERTAINTY[len(m.group(1))], m.group(0)))
    return out


def _units(text: str, heading_path: Sequence[str]) -> list[str]:
    """Where ratings are written: each heading, and each parenthesised or bracketed group of the text."""
    units = [h for h in heading_path if h]
    units += [m.group(1) or m.group(2) for m in _GROUP.finditer(text)]
    return units


def _uspstf_statements(text: str, heading: str, organisation: str | None) -> list[_Statement]:
    named = f"{heading}\n{text}\n{organisation or ''}"
    if not _USPSTF_NAMED.search(named):
        return []
    out = []
    for m in _USPSTF_GRADE.finditer(f"{heading}\n{text}"):
        letter = (m.group(1) or m.group(2)).upper()
        out.append(_Statement("uspstf", _USPSTF_STRENGTH[letter], None, m.group(0)))
    return out


def _nice_statements(text: str, heading: str, organisation: str | None) -> list[_Statement]:
    if not (_NICE_NAMED.search(organisation or "") or _NICE_NAMED.search(heading)):
        return []
    out = [_Statement("nice", "strong", None, m.group(0).strip()) for m in _NICE_OFFER.finditer(text)]
    out += [_Statement("nice", "weak", None, m.group(0).strip()) for m in _NICE_CONSIDER.finditer(text)]
    return out


def _single(values: Iterable[str | None]) -> str | None:
    """The one value all statements agree on; None when there is none or they disagree."""
    distinct = {v for v in values if v is not None}
    return next(iter(distinct)) if len(distinct) == 1 else None


def recommendation(
    text: str, heading_path: Sequence[str] = (), organisation: str | None = None
) -> tuple[EvidenceSystem, Strength, Certainty, str]:
    """The recommendation rating a passage carries, as (system, strength, certainty, label).

    Args:
        text: The passage.
        heading_path: Its headings, outermost first (a rating in a heading covers the passage).
        organisation: The issuing body, if known (names NICE or the USPSTF).

    Returns:
        Normalised values, each ``unknown`` when absent, contradictory or malformed.
    """
    statements: list[_Statement] = []
    for unit in _units(text, heading_path):
        statements += _acc_statements(unit)
        statements += _grade_statements(unit)
    heading = " > ".join(heading_path)
    statements += _uspstf_statements(text, heading, organisation)
    statements += _nice_statements(text, heading, organisation)
    if not statements:
        return "unknown", "unknown", "unknown", ""
    system = _single(s.system for s in statements)
    if system is None:  # two schemes in one passage: no reading of either is safe
        return "unknown", "unknown", "unknown", ""
    strength = _single(s.strength for s in statements)
    if strength in (None, _UNSTATED):
        strength = "unknown"
    certainty = _single(s.certainty for s in statements) or "unknown"
    labels = list(dict.fromkeys(s.label for s in statements))
    label = "; ".join(labels[:3]) + ("; ..." if len(labels) > 3 else "")
    return system, strength, certainty, label[:200]  # type: ignore[return-value]  # values come from the literals above


_PUBLICATION_TYPES: tuple[tuple[str, StudyDesign], ...] = (
    ("meta-analysis", "meta_analysis"),
    ("systematic review", "systematic_review"),
    ("randomized controlled trial", "randomised_trial"),
    ("practice guideline", "guideline"),
    ("guideline", "guideline"),
    ("case reports", "case_report"),
    ("review", "narrative_review"),
)

_MENTION = r"(?<!previous )(?<!prior )(?<!earlier )(?<!published )(?<!existing )(?<!recent )"
_DESIGN_PATTERNS: tuple[tuple[StudyDesign, re.Pattern[str]], ...] = (
    ("meta_analysis", re.compile(_MENTION + r"\bmeta-?analys[ie]s\b", re.I)),
    ("systematic_review", re.compile(_MENTION + r"\bsystematic\s+(?:literature\s+)?review\b", re.I)),
    (
        "randomised_trial",
        re.compile(
            r"(?<!non-)(?<!non)(?<!quasi-)\brandomi[sz]ed\b[\w\s,-]{0,60}?\b(?:trial|study)\b"
            r"|\b(?:randomly|were\s+randomi[sz]ed)\s+(?:assigned|allocated|divided|to|into)\b"
            r"|\bRCT\b",
            re.I,
        ),
    ),
    (
        "cohort",
        re.compile(
            r"\bcohort\s+(?:study|studies|design|analysis)\b"
            r"|\b(?:prospective|retrospective|population-based|historical|national|birth|inception|longitudinal"
            r"|observational|international|community)\s+cohort\b",
            re.I,
        ),
    ),
    ("case_control", re.compile(r"\bcase[\s-]?(?:control|referent)\b", re.I)),
    (
        "case_report",
        re.compile(r"\bcase\s+report\b(?!s)|\bwe\s+(?:report|describe|present)\s+(?:a|the)\s+case\b", re.I),
    ),
    (
        "narrative_review",
        re.compile(
            r"\bnarrative\s+review\b|\breview\s+of\s+the\s+literature\b|(?<!systematic )\bliterature\s+review\b",
            re.I,
        ),
    ),
)
_ANIMAL = re.compile(
    r"\b(?:rats?|mice|mouse|pigs?|porcine|piglets?|canine|dogs?|rabbits?|sheep|animals?)\b", re.I
)
_PRIMARY: frozenset[StudyDesign] = frozenset({"randomised_trial", "cohort", "case_control", "case_report"})


def design_from_publication_types(publication_types: Iterable[str]) -> StudyDesign:
    """The most robust design named by PubMed/JATS publication types, or ``unknown``."""
    lowered = [t.strip().lower() for t in publication_types]
    for name, design in _PUBLICATION_TYPES:
        if any(name == t or (name == "review" and t == "review") for t in lowered):
            return design
    return "unknown"


def design_from_text(text: str) -> StudyDesign:
    """The study design an abstract states in its own words; ``unknown`` when absent or contradictory."""
    found = {design for design, pattern in _DESIGN_PATTERNS if pattern.search(text)}
    if _ANIMAL.search(text):
        found.discard("randomised_trial")
        found.discard("case_control")
        found.discard("cohort")
    reviews: tuple[StudyDesign, ...] = ("meta_analysis", "systematic_review")
    for design in reviews:
        if design in found:
            return design
    primary = found & _PRIMARY
    if len(primary) == 1:
        return next(iter(primary))
    if len(primary) > 1:
        return "unknown"
    return "narrative_review" if "narrative_review" in found else "unknown"


def study_design(text: str, doc_type: str, publication_types: Sequence[str] = ()) -> StudyDesign:
    """Study design from the document type, then publication types, then the passage's words (literature only)."""
    if doc_type == "guideline":
        return "guideline"
    if publication_types:
        design = design_from_publication_types(publication_types)
        if design != "unknown":
            return design
    if doc_type == "literature":
        return design_from_text(text)
    return "unknown"


def publication_types_of(extra: dict[str, object]) -> list[str]:
    """Publication types kept in a document's free metadata (``publication_types``, ``;``-separated)."""
    value = extra.get("publication_types") or extra.get("publication_type")
    if isinstance(value, str):
        return [t for t in (p.strip() for p in value.split(";")) if t]
    return []


def evidence_strength(
    text: str,
    heading_path: Sequence[str] = (),
    *,
    doc_type: str = "other",
    organisation: str | None = None,
    publication_types: Sequence[str] = (),
) -> EvidenceStrength:
    """The normalised evidence strength of one passage (see the module docstring for the rules).

    Args:
        text: The passage.
        heading_path: Its headings, outermost first.
        doc_type: The document type (``guideline`` and ``literature`` are read).
        organisation: The issuing body, if known.
        publication_types: PubMed/JATS publication types of the document, if ingested.

    Returns:
        The rating and design; fields that cannot be known are ``unknown``.
    """
    system, strength, certainty, label = recommendation(text, heading_path, organisation)
    return EvidenceStrength(
        system=system,
        strength=strength,
        certainty=certainty,
        study_design=study_design(text, doc_type, publication_types),
        label=label,
    )


def evidence_of(ev: Evidence) -> EvidenceStrength:
    """The evidence strength of one retrieved passage, from its text, heading path and document metadata."""
    return evidence_strength(
        ev.text,
        ev.heading_path,
        doc_type=ev.meta.doc_type,
        organisation=ev.meta.organisation,
        publication_types=publication_types_of(dict(ev.meta.extra)),
    )
