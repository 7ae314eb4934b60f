"""Corpora and questions for the benchmarks: PubMedQA abstracts as Markdown files, each with a unique marker.

Every document carries its own doc id (front matter) and a marker phrase no other document holds, so a
benchmark can tell afterwards, by id and by a keyword search, whether each document arrived exactly once.
When the shared PubMedQA file is missing, short synthetic clinical notes stand in (the figures then say so).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

PUBMEDQA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pubmedqa" / "pqal_dev.json"
FALLBACK_TOPICS = (
    "Intravenous crystalloid for septic shock",
    "Anticoagulation after atrial fibrillation",
    "Inhaled corticosteroids in persistent asthma",
    "Colchicine for acute gout flares",
    "Statin intensity after coronary syndromes",
)


@dataclass(frozen=True)
class Abstract:
    """One source text: an id, a title (its question) and its body."""

    key: str
    title: str
    body: str


def abstracts(path: Path = PUBMEDQA) -> list[Abstract]:
    """The PubMedQA abstracts in file order, or synthetic notes when the file is not there."""
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            Abstract(pmid, item["QUESTION"], "\n\n".join(item["CONTEXTS"])) for pmid, item in data.items()
        ]
    return [
        Abstract(f"note{i}", f"{t} ({i})", f"{t}. Clinical note {i} on dosing, monitoring and follow-up.")
        for i, t in enumerate(FALLBACK_TOPICS * 100)
    ]


def marker(tag: str) -> str:
    """A phrase found in one document only: letters and digits the tokenizer keeps as one rare term."""
    return f"registry code zq{tag.lower()}xk"


def document_text(name: str, source: Abstract, revision: int = 0) -> str:
    """The Markdown of document ``name``: front matter, title, body and its marker.

    ``revision`` > 0 changes the text (a new edition of the same document, so its passages are replaced).
    """
    note = f"\n\nRevision {revision} of this summary." if revision else ""
    return (
        f"---\ntitle: {json.dumps(source.title)}\ndoc_type: literature\n---\n\n"
        f"# {source.title}\n\n{source.body}\n\nThis summary is filed under {marker(name)}.{note}\n"
    )


def write_doc(folder: Path, name: str, source: Abstract, revision: int = 0) -> str:
    """Write document ``name`` as ``folder/<name>.md``; returns its document id (the file name)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(document_text(name, source, revision), encoding="utf-8")
    return path.name


def questions(count: int, seed: int = 0, path: Path = PUBMEDQA) -> list[str]:
    """``count`` questions (PubMedQA's, shuffled with ``seed``), repeated when there are fewer."""
    qs = [a.title for a in abstracts(path)]
    random.Random(seed).shuffle(qs)  # noqa: S311 - a reproducible sample, not a secret
    return [qs[i % len(qs)] for i in range(count)]
