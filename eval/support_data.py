"""Claim-support benchmark sets: realistic paraphrase with hard negatives, and human-labelled claims.

* ``pubmedqa``: for each PubMedQA item, the authors' own conclusion sentences (LONG_ANSWER), each cited to
  the abstract's passages (CONTEXTS), are *supported* — a real paraphrase, not a quote. Each is turned into
  unsupported claims of these kinds:

  - ``number``: one number's value changed (formatting kept); ``unit``: one unit changed (mg -> g, days ->
    weeks); ``dose``: a number that carries a dose unit changed;
  - ``negation``: a negation added or removed ("did not differ" -> "differed", "is" -> "is not");
  - ``wrong_abstract``: the sentence cited to the most similar *other* abstract (on topic, not its source);
  - ``partial``: the sentence joined to a false clause (another abstract's conclusion, or one of its own
    sentences with a number or negation changed).

  Every item carries its PMID as ``group`` so that cross-validation can hold out whole abstracts.
* ``expertqa``: ExpertQA medical claims with the evidence their annotators saw; Complete = supported.
* ``kqa``: K-QA physician NLI labels (the model answer is the evidence, the gold statement the claim);
  Entailment = supported.

The perturbations are rule-based and seeded, so the same input always gives the same set.
"""

from __future__ import annotations

import ast
import csv
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.domain.text import split_sentences, strip_markers

UNIT_SWAPS = {
    "mg": "g",
    "mcg": "mg",
    "µg": "mg",
    "g": "mg",
    "kg": "g",
    "ml": "l",
    "mL": "L",
    "l": "ml",
    "hours": "days",
    "hour": "day",
    "h": "days",
    "days": "weeks",
    "day": "week",
    "weeks": "months",
    "week": "month",
    "months": "years",
    "month": "year",
    "years": "months",
    "year": "month",
    "minutes": "hours",
    "min": "h",
    "%": " mg",
    "mmHg": "kPa",
    "cm": "mm",
    "mm": "cm",
    "mmol/l": "mg/dl",
    "mg/dl": "mmol/l",
    "mg/kg": "mg",
}
DOSE_UNITS = {"mg", "mcg", "µg", "g", "kg", "ml", "mL", "l", "mg/kg", "iu", "IU", "units", "mmol/l", "mg/dl"}
_NUM = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)(\d+(?:[.,]\d+)?)(\s*)"
    r"(mg/kg|mg/dl|mmol/l|mmHg|mcg|µg|mg|kg|mL|ml|g|l|%|hours?|h|days?|weeks?|months?|years?|minutes|min|cm|mm"
    r"|iu|IU|units)?(?![\w/])"
)
# Negation flips that keep the sentence grammatical, tried in order (first match in the sentence wins).
_REMOVE = [
    (r"\bdid not differ\b", "differed"),
    (r"\bdoes not differ\b", "differs"),
    (r"\bdo not differ\b", "differ"),
    (r"\bno significant\b", "a significant"),
    (r"\bnot significantly\b", "significantly"),
    (r"\bnot associated\b", "associated"),
    (r"\b(is|are|was|were|may|might|could|should|would|will|can|does|do|did|has|have|had) not\b", r"\1"),
    (r"\bcannot\b", "can"),
    (r"\b(is|are|was|were|does|do|did|has|have|had|could|would|should)n't\b", r"\1"),
    (r"\bno\b", "a"),
    (r"\bwithout\b", "with"),
    (r"\bnever\b", "always"),
]
_ADD = [
    (r"\b(is|are|was|were|may|might|could|should|would|will|can|does|do|did|has|have|had)\b", r"\1 not"),
    (r"\b(increases|decreases|improves|reduces|predicts|affects|influences|requires)\b", "does not {stem}"),
    (r"\b(increased|decreased|improved|reduced|predicted|affected|influenced|required)\b", "did not {stem}"),
    (r"\b(increase|decrease|improve|reduce|predict|affect|influence|require)\b", "do not {stem}"),
    (r"\b(a|an) (significant|higher|lower|better|worse|major|important)\b", r"no \2"),
]
_STEMS = {
    "increases": "increase",
    "decreases": "decrease",
    "improves": "improve",
    "reduces": "reduce",
    "predicts": "predict",
    "affects": "affect",
    "influences": "influence",
    "requires": "require",
    "increased": "increase",
    "decreased": "decrease",
    "improved": "improve",
    "reduced": "reduce",
    "predicted": "predict",
    "affected": "affect",
    "influenced": "influence",
    "required": "require",
}
_SKIP = re.compile(r"^(medical subject headings|mesh|keywords?|trial registration)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SupportItem:
    """One claim with the passages it cites and whether they support it (1) or not (0)."""

    set: str
    kind: str
    claim: str
    passages: tuple[str, ...]
    label: int
    group: str


def change_number(sentence: str, rng: random.Random, dose_only: bool = False) -> str | None:
    """The sentence with one number's value changed, its formatting kept; None when it has none."""
    matches = [
        m for m in _NUM.finditer(sentence) if not dose_only or (m.group(3) and m.group(3) in DOSE_UNITS)
    ]
    if not matches:
        return None
    m = rng.choice(matches)
    raw = m.group(1)
    sep = "." if "." in raw else ("," if "," in raw else "")
    decimals = len(raw.split(sep)[1]) if sep else 0
    value = float(raw.replace(",", "."))
    factor = rng.choice([2.0, 3.0, 0.5, 1.5, 10.0])
    new = value * factor if value else rng.choice([5.0, 12.0])
    if round(new, decimals) == value:
        new = value + 1
    text = f"{new:.{decimals}f}" if decimals else str(round(new))
    if sep == ",":
        text = text.replace(".", ",")
    return sentence[: m.start(1)] + text + sentence[m.end(1) :]


def change_unit(sentence: str) -> str | None:
    """The sentence with its first swappable unit changed; None when it has none."""
    for m in _NUM.finditer(sentence):
        unit = m.group(3)
        if unit and unit in UNIT_SWAPS:
            swapped = UNIT_SWAPS[unit]
            space = " " if swapped.startswith(" ") and not m.group(2) else ""
            return sentence[: m.start(3)] + space + swapped.strip() + sentence[m.end(3) :]
    return None


def flip_negation(sentence: str, rng: random.Random) -> str | None:
    """The sentence with one negation removed, or (when it has none) one added; None when neither fits."""
    for pattern, repl in _REMOVE:
        if re.search(pattern, sentence, flags=re.IGNORECASE):
            return re.sub(pattern, repl, sentence, count=1, flags=re.IGNORECASE)
    options = [(p, r) for p, r in _ADD if re.search(p, sentence)]
    if not options:
        return None
    pattern, repl = rng.choice(options)
    if "{stem}" in repl:
        return re.sub(
            pattern, lambda m: repl.format(stem=_STEMS.get(m.group(1), m.group(1))), sentence, count=1
        )
    return re.sub(pattern, repl, sentence, count=1)


def conclusion_sentences(long_answer: str) -> list[str]:
    """The conclusion's sentences that state something (no keyword lists, nothing under five words)."""
    return [s for s in split_sentences(long_answer) if len(s.split()) >= 5 and not _SKIP.match(s)]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym."""
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and first.isupper() else text[:1].lower() + text[1:]


def pubmedqa_items(
    path: Path,
    rng: random.Random,
    nearest: Callable[[list[str]], list[int]],
    per_item: int = 2,
) -> list[SupportItem]:
    """The PubMedQA conclusion-vs-abstract set (see the module docstring).

    Args:
        path: ``pqal_dev.json`` (or a file of the same shape).
        rng: The seeded generator every random choice comes from.
        nearest: Given the abstracts' texts, the index of each one's most similar *other* abstract.
        per_item: Conclusion sentences used per abstract (the first ones, which carry the main finding).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    pmids = sorted(data)
    abstracts = [tuple(c for c in data[p]["CONTEXTS"] if c.strip()) for p in pmids]
    neighbour = nearest([" ".join(a) for a in abstracts])
    conclusions = [conclusion_sentences(data[p]["LONG_ANSWER"]) for p in pmids]
    items: list[SupportItem] = []
    for i, pmid in enumerate(pmids):
        own, other = abstracts[i], abstracts[neighbour[i]]
        for sentence in conclusions[i][:per_item]:
            variants: list[tuple[str, str | None, tuple[str, ...], int]] = [
                ("true", sentence, own, 1),
                ("number", change_number(sentence, rng), own, 0),
                ("dose", change_number(sentence, rng, dose_only=True), own, 0),
                ("unit", change_unit(sentence), own, 0),
                ("negation", flip_negation(sentence, rng), own, 0),
                ("wrong_abstract", sentence, other, 0),
            ]
            false_clause = _false_clause(conclusions, i, sentence, rng)
            if false_clause:
                joined = f"{sentence.rstrip('.')}, and {_lower_first(false_clause)}"
                variants.append(("partial", joined, own, 0))
            for kind, claim, passages, label in variants:
                if claim and (label == 1 or kind == "wrong_abstract" or claim != sentence):
                    items.append(SupportItem("pubmedqa", kind, claim, passages, label, pmid))
    return items


def _false_clause(conclusions: list[list[str]], i: int, sentence: str, rng: random.Random) -> str | None:
    """A false statement to join to a true one: a changed version of the claim, or another abstract's."""
    own = flip_negation(sentence, rng) or change_number(sentence, rng)
    if own and rng.random() < 0.5:
        return own
    others = [j for j in range(len(conclusions)) if j != i and conclusions[j]]
    return rng.choice(conclusions[rng.choice(others)]) if others else own


def expertqa_items(path: Path) -> list[dict[str, Any]]:
    """ExpertQA claims with the evidence text their annotators saw, and the support label."""
    items: list[dict[str, Any]] = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        for answer in row["answers"].values():
            for claim in answer.get("claims") or []:
                raw = claim.get("evidence") or []
                try:
                    evidence = ast.literal_eval(raw) if isinstance(raw, str) else raw
                except (ValueError, SyntaxError):
                    continue
                texts = [e.split("\n\n", 1)[1] for e in evidence if isinstance(e, str) and "\n\n" in e]
                texts = [t for t in texts if len(t.split()) >= 5]
                label = claim.get("support")
                if texts and label in {"Complete", "Missing", "Partial", "Incomplete"}:
                    items.append(
                        {"claim": claim["claim_string"], "evidence": " ".join(texts), "label": label}
                    )
    return items


def kqa_items(path: Path) -> list[dict[str, Any]]:
    """K-QA physician NLI labels: does the model answer entail the gold statement?"""
    with path.open(newline="") as handle:
        return [
            {"claim": r["claim"], "evidence": r["answer"], "label": r["majority_label"]}
            for r in csv.DictReader(handle)
            if r["claim"].strip() and r["answer"].strip()
        ]


def expertqa_support_items(path: Path) -> list[SupportItem]:
    """ExpertQA medical claims: Complete = supported; Partial, Incomplete and Missing = not."""
    return [
        SupportItem(
            "expertqa",
            i["label"],
            strip_markers(i["claim"]),
            (i["evidence"],),
            int(i["label"] == "Complete"),
            i["evidence"][:200],
        )
        for i in expertqa_items(path)
    ]


def kqa_support_items(path: Path) -> list[SupportItem]:
    """K-QA physician NLI labels: Entailment = supported; Neutral and Contradiction = not."""
    return [
        SupportItem(
            "kqa",
            i["label"],
            i["claim"],
            (i["evidence"],),
            int(i["label"] == "Entailment"),
            i["evidence"][:200],
        )
        for i in kqa_items(path)
    ]


def nearest_by_vectors(vectors: np.ndarray) -> list[int]:
    """For each row, the index of the most similar other row (cosine of normalised vectors)."""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return [int(j) for j in sims.argmax(axis=1)]


def grouped_folds(groups: Sequence[str], k: int, seed: int) -> list[int]:
    """A fold number per item such that all items of one group share a fold; ungrouped items spread evenly."""
    distinct = sorted({g for g in groups if g})
    random.Random(seed).shuffle(distinct)  # noqa: S311 - reproducible folds, not a secret
    fold_of = {g: n % k for n, g in enumerate(distinct)}
    out: list[int] = []
    loose = 0
    for g in groups:
        if g:
            out.append(fold_of[g])
        else:
            out.append(loose % k)
            loose += 1
    return out
