"""Dose statements with a drug, an amount and a unit: what two sources can disagree on numerically.

Numbers differ legitimately between populations, indications and formulations far more often than sources
disagree, so only a narrow kind of statement is read: an amount of a named drug per day, per kilogram, or per
kilogram per day ("not more than 4,000 mg in 24 hours", "maximum 60 mg/kg/day", "the recommended dose of
paracetamol is 40 g per day"). Amounts are normalised to milligrams. A statement is a *limit* when it says
maximum, do not exceed, no more than, up to ... and a plain *dose* otherwise.

Two statements conflict when they are about the same drug (synonym-aware) and the same kind of amount and
either both are limits that differ by at least ``FACTOR`` or one is a dose at least ``FACTOR`` times the
other's limit. Two plain doses are never compared: a loading dose and a maintenance dose are both right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag_service.services.drug_synonyms import DrugSynonyms

FACTOR = 2.0
Kind = Literal["per_day", "per_kg_per_day", "per_kg"]

_TO_MG = {"g": 1000.0, "mg": 1.0, "mcg": 0.001}
_UNIT = {
    "g": "g",
    "gram": "g",
    "grams": "g",
    "gm": "g",
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "mcg": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "µg": "mcg",
    "μg": "mcg",
    "ug": "mcg",
}
_AMOUNT = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(?P<unit>grams?|gm|g|milligrams?|mg|micrograms?|mcg|µg|μg|ug)(?![\w])"
    r"(?P<kg>\s*(?:/\s*kg\b|per\s+kg\b|per\s+kilogram\b)(?:\s+(?:of\s+)?body\s*weight)?)?"
    r"(?P<day>\s*(?:/\s*(?:day|d|24\s*h(?:ours?|rs?)?)(?![\w])|per\s+(?:day|24\s*h(?:ours?|rs?)?)\b"
    r"|a\s+day\b|daily\b|each\s+day\b|every\s+day\b"
    r"|(?:in|over|within)\s+(?:any\s+|a\s+|one\s+)?(?:24|twenty-four)\s*(?:-\s*)?(?:hours?|hrs?|h)\b"
    r"|(?:in|over|within)\s+(?:a\s+|one\s+)?(?:single\s+)?day\b))?",
    re.IGNORECASE,
)
_LIMIT = re.compile(
    r"\bmax(?:imum|imal|\.)?\b|\bexceed|\bno\s+more\s+than\b|\bnot\s+more\s+than\b|\bmore\s+than\b"
    r"|\bup\s+to\b|\bat\s+most\b|\bceiling\b|\blimit(?:ed)?\s+(?:to|of)\b|\bshould\s+not\s+be\s+above\b",
    re.IGNORECASE,
)
# A table cell, a clause or a sentence ends the stretch of text an amount's limit cue is looked for in.
_CLAUSE_END = re.compile(r"[,;.|(]")
_ANIMAL = re.compile(
    r"\b(?:rats?|mice|mouse|rabbits?|dogs?|beagles?|rodents?|monkeys?|animals?|hamsters?|in\s+vitro)\b",
    re.IGNORECASE,
)
_POPULATIONS = (
    (
        "children",
        re.compile(
            r"\b(?:child|children|paediatric|pediatric|infants?|neonat\w*|adolescents?|years?\s+old|aged?\s+\d|under\s+\d+\s*(?:years|kg))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "renal",
        re.compile(r"\b(?:renal|kidney|CKD|creatinine\s+clearance|CrCl|dialysis|eGFR)\b", re.IGNORECASE),
    ),
    ("hepatic", re.compile(r"\b(?:hepatic|liver\s+(?:disease|impairment)|cirrho\w*)\b", re.IGNORECASE)),
    (
        "older",
        re.compile(
            r"\b(?:elderly|older\s+(?:adults|people|patients)|(?:over|above|aged)\s+(?:6\d|7\d|8\d)(?:\s+years)?)\b",
            re.IGNORECASE,
        ),
    ),
    ("pregnancy", re.compile(r"\b(?:pregnan\w*|breast-?feeding|lactati\w*)\b", re.IGNORECASE)),
    (
        "low_weight",
        re.compile(r"\b(?:weigh\w*\s+(?:less|under)|<\s*\d+\s*kg|low\s+(?:body\s+)?weight)\b", re.IGNORECASE),
    ),
)


@dataclass(frozen=True, slots=True)
class DoseStatement:
    """One amount of one drug: its INN, the kind of amount, milligrams, whether it is a limit, and for whom.

    ``population`` names the groups the statement is qualified by (children, renal or hepatic impairment,
    older people, pregnancy); an unqualified statement has none, and only statements about the same
    population are compared.
    """

    drug: str
    kind: Kind
    mg: float
    limit: bool
    population: frozenset[str] = frozenset()


def dose_statements(sentence: str, synonyms: DrugSynonyms, context: str = "") -> list[DoseStatement]:
    """The dose statements of a sentence, read line by line (label text keeps list items on lines).

    A line's drug is the one it names, else the one its sentence names, else the one ``context`` (the
    passage's title and headings) names: a label's "Do not exceed 4 g in 24 hours" names no drug itself.
    Naming several drugs gives nothing: which amount belongs to which drug is not read.
    """
    if _ANIMAL.search(sentence) or _ANIMAL.search(context):
        return []  # toxicology in animals: doses per kg of a rat are not clinical statements
    out: list[DoseStatement] = []
    for line in sentence.splitlines():
        amounts = [m for m in _AMOUNT.finditer(line) if m.group("kg") or m.group("day")]
        if not amounts:
            continue
        drugs = synonyms.mentions(line) or synonyms.mentions(sentence) or synonyms.mentions(context)
        if len(drugs) != 1:
            continue
        population = frozenset(name for name, cue in _POPULATIONS if cue.search(line))
        for i, m in enumerate(amounts):
            # The amount's own stretch of the line: from the previous amount to the end of its clause.
            before = line[amounts[i - 1].end() if i else 0 : m.start()]
            before = _CLAUSE_END.split(before)[-1]
            after = line[m.end() : amounts[i + 1].start() if i + 1 < len(amounts) else len(line)]
            after = _CLAUSE_END.split(after, maxsplit=1)[0]
            limit = bool(_LIMIT.search(before) or _LIMIT.search(after))
            value = float(m.group("num").replace(",", ""))
            unit = _UNIT[m.group("unit").casefold()]
            kind: Kind = (
                "per_kg_per_day"
                if m.group("kg") and m.group("day")
                else "per_kg"
                if m.group("kg")
                else "per_day"
            )
            out.append(DoseStatement(drugs[0].canonical, kind, value * _TO_MG[unit], limit, population))
    return out


def disagree(a: DoseStatement, b: DoseStatement) -> bool:
    """Same drug and kind, and two limits ``FACTOR`` apart or a dose ``FACTOR`` times over a limit."""
    if a.drug != b.drug or a.kind != b.kind or a.population != b.population or a.mg <= 0 or b.mg <= 0:
        return False
    if a.limit and b.limit:
        return max(a.mg, b.mg) / min(a.mg, b.mg) >= FACTOR
    if a.limit and not b.limit:
        return b.mg / a.mg >= FACTOR
    if b.limit and not a.limit:
        return a.mg / b.mg >= FACTOR
    return False
