"""Reading a claim and its evidence the way the support checks need: numbers with units, negation by clause.

Written by hand because no library on hand does these for research and guideline prose: clinical negation
libraries (NegEx/ConText) mark whether a *named finding* is negated in a note ("no pneumonia"), not whether
two sentences agree in polarity ("did not differ" versus "no significant difference").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A number is not read out of a name ("COVID-19", "IL-6", "T2"), only where it stands as a number: digits
# with optional thousands separators and decimals, or a leading-dot decimal.
_NUMBER = re.compile(r"(?<!\w)(?<!\d\.)(?<![A-Za-z]-)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+)")
_UNIT = re.compile(
    r"\s*(%|percent|per cent|(?:mg|mcg|µg|g|ml|mL|units?)/kg(?:/(?:h|hr|day|min))?"
    r"|mg/dl|mg/dL|mmol/l|mmol/L|mmol/mol|µmol/l|mcg|µg|μg|ug|mg|kg|g"
    r"|ml|mL|l|L|iu|IU|units?|mmHg|mm|cm|m|kcal|mEq|h|hr|hrs|hours?|min|minutes?|days?|weeks?|months?|years?"
    r"|bpm)(?![\w/])"
)
UNIT_ALIASES = {
    "percent": "%",
    "per cent": "%",
    "µg": "mcg",
    "μg": "mcg",
    "ug": "mcg",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "minute": "min",
    "minutes": "min",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "unit": "units",
    "iu": "units",
    "l": "l",
}
_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
)
_WORD_NUMBERS = {w: str(i) for i, w in enumerate(_WORDS.split())}
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", re.IGNORECASE)

# Negation cues, and words that state a null result ("similar", "comparable"): both turn a clause's polarity.
# "no significant difference", "did not differ" and "similar rates" all read as one negative statement.
_NEGATORS = re.compile(
    r"\b(not|no|never|none|neither|nor|(?<!with or )(?<!with and )(?<!those )without|cannot|unable|absence of"
    r"|lack of|lacks?|lacked|fail(?:s|ed)? to|avoid(?:ed)?|contraindicated|unsafe|ineffective"
    r"|unlikely|insufficient|non-?significant|nonsignificant|n't)\b|n't\b",
    re.IGNORECASE,
)
_NULL_WORDS = re.compile(
    r"\b(similar|comparable|equivalent|equally|identical|unchanged|unaffected|independent(?:ly)? of"
    r"|irrespective of|regardless of)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r"\s*(?:[;:]|,\s*(?:but|whereas|while|although|though|however|yet|and)\b|\b(?:but|whereas|although|though"
    r"|despite|however)\b)\s*",
    re.IGNORECASE,
)
_CODED = re.compile(r"[A-Za-z][\w-]*\d[\w-]*|\d+-?[A-Za-z][\w-]*")
_ASKS = re.compile(
    r"\b(aims?|aimed|purpose|objectives?|whether|hypothesi[sz]ed|we (?:sought|investigated|examined|evaluated"
    r"|assessed|compared)|to (?:evaluate|investigate|determine|assess|examine|compare|study|test|explore|identify)"
    r"|this study)\b|\?\s*$",
    re.IGNORECASE,
)
_HEDGES = re.compile(
    r"\b(may|might|could|possibly|probably|likely|suggests?|suggested|appears?|appeared|seems?|potential(?:ly)?"
    r"|perhaps|warrant|further (?:studies|research))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number as a value (formatting removed) with the unit that follows it, '' when none does."""

    value: float
    unit: str

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}".strip()


def _value(raw: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        return float(raw.replace(",", ""))
    return float(raw.replace(",", "."))


def quantities(text: str, words: bool = False) -> list[Quantity]:
    """The numbers of a text with their units; with ``words``, small number words ("three") count too.

    A claim's numbers are read from digits only ("one should ..." is not a number), the evidence's from
    digits and words, so "3 weeks" in a claim is found in "three weeks" of its evidence.
    """
    if words:
        text = _WORD_NUMBER.sub(lambda m: _WORD_NUMBERS[m.group(1).lower()], text)
    out: list[Quantity] = []
    for m in _NUMBER.finditer(text):
        unit_match = _UNIT.match(text, m.end())
        unit = unit_match.group(1) if unit_match else ""
        unit = UNIT_ALIASES.get(unit.lower(), unit.lower()) if unit not in {"L", "mL"} else unit.lower()
        out.append(Quantity(_value(m.group(1)), unit))
    return out


def missing_quantities(claim: str, evidence: str) -> list[Quantity]:
    """Quantities of the claim the evidence does not state: the value absent, or present with another unit.

    Formatting may differ ("1,000" and "1000", "5 %" and "5 percent", "three" and "3"); the value may not.
    """
    have = quantities(evidence, words=True)
    values = {q.value for q in have}
    with_unit = {(q.value, q.unit) for q in have}
    return [
        q
        for q in quantities(claim)
        if q.value not in values or (q.unit and (q.value, q.unit) not in with_unit)
    ]


def clauses(text: str) -> list[str]:
    """A sentence cut at clause boundaries (";", ", but", "whereas", "although", ...).

    A fragment of one or two words stays with the clause before it ("X improved, but not Y").
    """
    out: list[str] = []
    for part in (p.strip(" ,.") for p in _CLAUSE_BREAK.split(text)):
        if not part:
            continue
        if out and len(part.split()) < 3:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def coded_names(text: str) -> set[str]:
    """Names that mix letters and digits ("CA19-9", "HbA1c", "IL-6"), lower-cased, punctuation as spaces."""
    return {
        _plain(token)
        for token in _CODED.findall(text)
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
    }


def missing_coded_names(claim: str, evidence: str) -> list[str]:
    """Coded names of the claim whose digits differ from the same name in the evidence ("CA 19-27" vs "CA 19-9").

    A name the evidence does not mention at all is left to the wording checks: only a changed number is caught.
    """
    plain = _plain(evidence)
    out: list[str] = []
    for name in sorted(coded_names(claim)):
        parts = re.findall(r"[a-z]+|\d+", name)
        exact = r"\b" + r"\s?".join(re.escape(p) for p in parts) + r"\b"
        same_name = r"\b" + r"\s?".join(re.escape(p) if p.isalpha() else r"\d+" for p in parts) + r"\b"
        if not re.search(exact, plain) and re.search(same_name, plain):
            out.append(name)
    return out


def _plain(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def negative(clause: str) -> bool:
    """True when a clause reads as negative or as a null result (an odd number of negation cues)."""
    return (len(_NEGATORS.findall(clause)) + len(_NULL_WORDS.findall(clause))) % 2 == 1


def asks(sentence: str) -> bool:
    """True for a sentence that asks or states an aim rather than a finding ("We assessed whether ...")."""
    return _ASKS.search(sentence) is not None


def hedged(text: str) -> bool:
    """True when the text hedges ("may", "suggests", "appears")."""
    return _HEDGES.search(text) is not None
