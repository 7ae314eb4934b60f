"""One deterministic alteration of a faithful answer: the kinds of hallucination verification must catch.

* ``number``: one number changed (its last digit), its formatting kept: "71%" becomes "76%";
* ``negation``: one negation flipped in a grammatical way, removed ("was not associated" -> "was
  associated", "no difference" -> "some difference", "cannot" -> "can") or added ("may be" -> "may not be",
  "suggests" -> "does not suggest", "appears to" -> "appears not to");
* ``citation``: one sentence cited to the best-matching passage of another document instead of its own.

The kind is drawn among those the answer allows (a conclusion without a number cannot have one changed; a
wrong citation needs a passage of another document among the evidence), then the sentence, from a
``random.Random`` the caller seeds per question.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from eval.llm_scenarios.answers import DraftSentence, best_passages
from eval.llm_scenarios.requests import Passage

Kind = Literal["number", "negation", "citation"]
KINDS: tuple[Kind, ...] = ("number", "negation", "citation")

# A number standing on its own: not part of a name ("APOA1", "IL-6") nor the tail of "+/-5".
_NUMBER = re.compile(r"(?<![\w.,/+\-])\d+(?:[.,]\d+)*")
_AUX = r"is|are|was|were|be|been|do|does|did|may|might|can|could|should|would|will|must|has|have|had"
# Verbs with no noun reading in their -s form, so "results suggest" never becomes "results does not ...".
_VERBS = (
    "suggest", "indicate", "demonstrate", "confirm", "reduce", "improve", "require", "provide", "predict",
    "affect", "enhance", "correlate", "contribute", "remain", "differ", "prevent", "reveal", "identify",
    "allow", "represent", "occur", "exist", "depend", "appear", "seem",
)  # fmt: skip
_THIRD_PERSON = {(v[:-1] + "ies" if v.endswith("y") else v + "s"): v for v in _VERBS}

Edit = Callable[[re.Match[str]], str]


def _keep_case(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


_REMOVALS: tuple[tuple[re.Pattern[str], Edit], ...] = (
    (re.compile(r"\b([Cc])annot\b"), lambda m: m.group(1) + "an"),
    (re.compile(r"\b([Cc])an't\b"), lambda m: m.group(1) + "an"),
    (re.compile(r"\b([Ww])on't\b"), lambda m: m.group(1) + "ill"),
    (re.compile(rf"\b({_AUX})n't\b", re.IGNORECASE), lambda m: m.group(1)),
    (re.compile(rf"\b({_AUX}) not\b(?! only\b)", re.IGNORECASE), lambda m: m.group(1)),
    (
        re.compile(r"\b([Nn]o)\b(?= (?!(?:longer|more|less|matter|doubt|one)\b)[A-Za-z])"),
        lambda m: _keep_case("some", m.group(1)),
    ),
)
_ADDITIONS: tuple[tuple[re.Pattern[str], Edit], ...] = (
    (re.compile(r"\b(appears?|appeared|seems?|seemed) to\b"), lambda m: f"{m.group(1)} not to"),
    (
        re.compile(r"\b(is|are|was|were|may|might|can|could|should|would|will|must)\b(?! not\b)"),
        lambda m: "cannot" if m.group(1) == "can" else f"{m.group(1)} not",
    ),
    (re.compile(r"\b(has|have|had)\b(?= (?:been|shown|\w+ed)\b)"), lambda m: f"{m.group(1)} not"),
    (re.compile(rf"\b({'|'.join(_THIRD_PERSON)})\b"), lambda m: f"does not {_THIRD_PERSON[m.group(1)]}"),
    (re.compile(rf"(?<!\bto )\b({'|'.join(_VERBS)})\b"), lambda m: f"do not {m.group(1)}"),
)


@dataclass(frozen=True, slots=True)
class Alteration:
    """What was changed in which sentence: the text and citations before and after, and a short detail."""

    kind: Kind
    sentence: int
    before: str
    after: str
    citations_before: tuple[int, ...]
    citations_after: tuple[int, ...]
    detail: str

    def as_record(self) -> dict[str, Any]:
        """The alteration as JSON-ready values (citations as lists)."""
        return {
            "kind": self.kind,
            "sentence": self.sentence,
            "before": self.before,
            "after": self.after,
            "citations_before": list(self.citations_before),
            "citations_after": list(self.citations_after),
            "detail": self.detail,
        }


def change_number(text: str, rng: random.Random) -> tuple[str, str] | None:
    """``text`` with one number's last digit changed, and a detail ("71 -> 76"); None without a number."""
    found = list(_NUMBER.finditer(text))
    if not found:
        return None
    match = rng.choice(found)
    value = match.group()
    new = value[:-1] + rng.choice([d for d in "123456789" if d != value[-1]])
    return f"{text[: match.start()]}{new}{text[match.end() :]}", f"{value} -> {new}"


def _first_site(text: str, rules: Sequence[tuple[re.Pattern[str], Edit]]) -> tuple[str, str] | None:
    sites = [(m.start(), n, m, edit) for n, (rx, edit) in enumerate(rules) if (m := rx.search(text))]
    if not sites:
        return None
    _, _, match, edit = min(sites, key=lambda s: (s[0], s[1]))
    new = edit(match)
    return f"{text[: match.start()]}{new}{text[match.end() :]}", f"{match.group()!r} -> {new!r}"


def flip_negation(text: str) -> tuple[str, str] | None:
    """``text`` with its first negation removed, or (when it has none) one added; None when neither fits."""
    return _first_site(text, _REMOVALS) or _first_site(text, _ADDITIONS)


def alter(
    sentences: Sequence[DraftSentence], foreign: Sequence[Passage], rng: random.Random
) -> tuple[list[DraftSentence], Alteration] | None:
    """The answer with exactly one alteration, and what it was; None when no kind fits the answer.

    Args:
        sentences: The faithful answer.
        foreign: Evidence passages of other documents (candidates for a wrong citation).
        rng: Seeded per question, so the same question always gets the same alteration.
    """
    candidates: dict[Kind, list[int]] = {
        "number": [i for i, s in enumerate(sentences) if _NUMBER.search(s.text)],
        "negation": [i for i, s in enumerate(sentences) if flip_negation(s.text) is not None],
        "citation": list(range(len(sentences))) if foreign else [],
    }
    kinds = [k for k in KINDS if candidates[k]]
    if not kinds:
        return None
    kind = rng.choice(kinds)
    index = rng.choice(candidates[kind])
    old = sentences[index]
    text, citations = old.text, old.citations
    if kind == "citation":
        citations = best_passages(old.text, foreign, most=1)
        detail = f"cited {list(citations)} instead of {list(old.citations)}"
    else:
        edited = change_number(old.text, rng) if kind == "number" else flip_negation(old.text)
        if edited is None:  # cannot happen: the sentence was chosen because it has one
            return None
        text, detail = edited
    new = DraftSentence(text, citations)
    altered = [new if i == index else s for i, s in enumerate(sentences)]
    return altered, Alteration(kind, index, old.text, text, old.citations, citations, detail)
