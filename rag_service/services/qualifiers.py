"""Clinical qualifiers a question names (severity, age group, setting, route, group or stage, organ impairment).

A question about "moderate perinatal depression" or "COPD group A" wants the sentences written for that
severity or group, and a guideline puts that qualifier in the heading above them rather than in each
sentence. The extractive answerer reads a sentence together with its section headings and prefers those that
name the qualifier asked about over those that name another value of the same kind ("Mild depression" when
"moderate" was asked).

Hand-written: the families are a small fixed vocabulary of clinical wording, and no offline library tags
them. Values are canonical ("paediatric" and "children" are one value); "mild to moderate" counts as both
mild and moderate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# family -> canonical value -> pattern (case-insensitive, on word boundaries).
_FAMILIES: dict[str, dict[str, str]] = {
    "severity": {
        "mild": r"mild(?:ly)?|low[- ]risk|low severity",
        "moderate": r"moderate(?:ly)?|intermediate[- ]risk|moderate severity",
        "severe": r"severe(?:ly)?|high[- ]risk|high severity",
        "life-threatening": r"life[- ]threatening|near[- ]fatal|critically ill",
    },
    "age": {
        "neonate": r"neonat(?:e|es|al)|newborns?",
        "infant": r"infants?",
        "child": r"child(?:ren|hood)?(?![- ]pugh)|paediatrics?|pediatrics?",
        "adolescent": r"adolescents?|teen(?:ager)?s?",
        "adult": r"(?<!older )adults?",
        "older": r"elderly|older (?:adults|patients|people)|geriatrics?|aged (?:65|75)|(?:over|above) (?:65|75)",
    },
    "pregnancy": {
        "pregnancy": r"pregnan(?:t|cy)|perinatal|antenatal|prenatal|postpartum|breast[- ]?feeding|lactation",
    },
    "setting": {
        "outpatient": r"outpatients?|ambulatory|community(?!-)|primary care",
        "inpatient": r"inpatients?|hospitali[sz]ed|(?:general )?ward",
        "icu": r"icu|intensive care|critical care",
    },
    "route": {
        "oral": r"oral(?:ly)?|by mouth|po",
        "intravenous": r"intravenous(?:ly)?|iv",
        "intramuscular": r"intramuscular(?:ly)?|im",
        "subcutaneous": r"subcutaneous(?:ly)?|sc",
        "inhaled": r"inhal(?:ed|ation|er)",
    },
    "impairment": {
        "renal": r"renal|kidney|creatinine clearance|egfr|gfr|dialysis",
        "hepatic": r"hepatic|liver|cirrhosis|child[- ]pugh",
        "cardiac": r"cardiac|heart failure",
    },
}
_COMPILED = {
    family: {
        value: re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE) for value, pattern in values.items()
    }
    for family, values in _FAMILIES.items()
}
# "Group A", "stage 2", "class III", "grade 1", "step 3": the label is the value, the word the family.
_LABELLED = re.compile(
    r"(?<![\w-])(group|stage|class|grade|step|category|type)\s+([A-E]|[0-9]{1,2}[a-c]?|I{1,3}V?|IV|V)(?![\w-])",
    re.IGNORECASE,
)
# A range of hours or days ("6 to 24 hours", "6-24 h"): the value is the normalised range.
_WINDOW = re.compile(
    r"(?<![\w.])(\d{1,3})\s*(?:-|–|—|to)\s*(\d{1,3})\s*(h|hr|hrs|hours?|days?|weeks?)(?![\w-])", re.IGNORECASE
)
# Families where naming one value and not the one asked for is a conflict; "impairment" and "route" are
# not (a renal section does not exclude a hepatic one), they only add a match.
EXCLUSIVE = frozenset({"severity", "age", "setting", "labelled", "window"})


@dataclass(frozen=True, slots=True)
class Qualifier:
    """One qualifier: its family and canonical value."""

    family: str
    value: str


def qualifiers(text: str) -> frozenset[Qualifier]:
    """The qualifiers ``text`` names."""
    found: set[Qualifier] = set()
    for m in _LABELLED.finditer(text):
        found.add(Qualifier(f"labelled:{m.group(1).lower()}", m.group(2).upper()))
    text = _LABELLED.sub(" ", text)  # "stage IV" is not the intravenous route
    for family, values in _COMPILED.items():
        for value, pattern in values.items():
            if pattern.search(text):
                found.add(Qualifier(family, value))
    for m in _WINDOW.finditer(text):
        unit = m.group(3).lower()[0]
        found.add(Qualifier("window", f"{m.group(1)}-{m.group(2)}{unit}"))
    return frozenset(found)


def _exclusive(family: str) -> bool:
    return family in EXCLUSIVE or family.startswith("labelled:")


def _by_family(asked: Iterable[Qualifier]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for q in asked:
        out.setdefault(q.family, set()).add(q.value)
    return out


def conflicts(asked: Iterable[Qualifier], context: frozenset[Qualifier]) -> bool:
    """Whether the context names, for a family whose values exclude each other, only values not asked for."""
    for family, values in _by_family(asked).items():
        named = {q.value for q in context if q.family == family}
        if named and not named & values and _exclusive(family):
            return True
    return False


def agreement(asked: Iterable[Qualifier], context: frozenset[Qualifier]) -> float:
    """How well a sentence's context (its headings and text) matches the qualifiers a question asks about.

    Each asked qualifier named by the context counts +1; each asked family whose context names only other
    values counts -1 (for the families where values exclude each other). The sum is divided by the number of
    asked families, so the result lies in [-1, 1]; 0 when the question asks for none.
    """
    by_family = _by_family(asked)
    if not by_family:
        return 0.0
    total = 0.0
    for family, values in by_family.items():
        named = {q.value for q in context if q.family == family}
        if named & values:
            total += 1.0
        elif named and _exclusive(family):
            total -= 1.0
    return total / len(by_family)
