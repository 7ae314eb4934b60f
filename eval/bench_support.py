"""How well the citation-support scorer separates supported sentences from harmful errors and agrees with humans.

Run::

    python -m eval.bench_support --out eval/reports/support.json [--judge calibrated|nli|llm_judge]

Each set is reported separately (see :mod:`eval.support_data`):

* ``pubmedqa``: the authors' conclusion sentences against their own abstract (a real paraphrase) and the
  same sentences with a number, unit, dose or negation changed, cited to the most similar other abstract, or
  joined to a false clause;
* ``expertqa``: ExpertQA medical claims, human support labels (Complete vs the rest);
* ``kqa``: K-QA physician NLI labels (Entailment vs the rest), never used in fitting;
* ``fda_labels``: sentences of FDA label passages, verbatim or lightly reworded, against perturbed ones (the
  quote-like case an extractive answer produces).

For each: AUROC (and plain best-sentence cosine's, the baseline), and at ``answer.supported_threshold`` the
pass rate of supported claims and the catch rate of each perturbation kind (caught = not "supported").
With the calibrated scorer, which was fitted on ``pubmedqa`` and ``expertqa``, the report also holds the
5-fold cross-validated figures (held-out abstracts; thresholds chosen inside each fold): those are the ones
to quote; the shipped model's in-sample figures are beside them.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

from eval.fit_support import (
    Fitter,
    build_sets,
    cross_validate,
    default_shared,
    featurize,
    plain_cosines,
    summarize,
)
from eval.report import emit
from eval.support_data import SupportItem, change_number, change_unit, flip_negation
from ingest.loaders import loader_for
from ingest.loaders.base import LoadContext
from rag_service.bootstrap import build_components
from rag_service.domain.text import split_sentences
from rag_service.services.support import Claim
from rag_service.services.support_features import FeatureExtractor
from rag_service.services.support_model import load_support_model
from rag_service.settings import Settings

SYNONYMS = {
    "patients": "subjects",
    "increased": "raised",
    "decreased": "reduced",
    "use": "usage",
    "children": "paediatric patients",
    "administered": "given",
}


def label_items(folder: Path, per_label: int, rng: random.Random) -> list[SupportItem]:
    """Sentences of FDA label passages: verbatim and reworded (supported) against perturbed copies."""
    items: list[SupportItem] = []
    for pdf in sorted(folder.glob("fda_*.pdf")):
        loader = loader_for(pdf)
        assert loader is not None
        result = loader(pdf.read_bytes(), LoadContext(path=pdf, default_doc_id=pdf.stem))
        sentences = [s for d in result.documents for sec in d.sections for s in split_sentences(sec.text)]
        passages = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
        usable = [i for i, p in enumerate(passages) if any(len(s.split()) >= 8 for s in split_sentences(p))]
        for idx in rng.sample(usable, min(per_label, len(usable))):
            passage = passages[idx]
            sentence = rng.choice([s for s in split_sentences(passage) if len(s.split()) >= 8]).strip()
            reworded = sentence
            for a, b in SYNONYMS.items():
                reworded = reworded.replace(f" {a} ", f" {b} ")
            other = rng.choice([p for j, p in enumerate(passages) if j != idx] or [passage])
            variants = [
                ("verbatim", sentence, passage, 1),
                ("reworded", reworded if reworded != sentence else None, passage, 1),
                ("number", change_number(sentence, rng), passage, 0),
                ("unit", change_unit(sentence), passage, 0),
                ("negation", flip_negation(sentence, rng), passage, 0),
                ("wrong_passage", sentence if other != passage else None, other, 0),
            ]
            for kind, claim, evidence, label in variants:
                if claim:
                    items.append(SupportItem("fda_labels", kind, claim, (evidence,), label, pdf.stem))
    return items


def main() -> int:
    """Score every set and print the figures as JSON (also written to --out)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=default_shared(), help="the shared data folder")
    parser.add_argument("--judge", choices=("calibrated", "nli", "llm_judge"), default=None)
    parser.add_argument("--label-passages", type=int, default=15, help="passages sampled per FDA label")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    settings = Settings()
    c = build_components(settings)
    c.embedder.warm_up()
    judge = c.support_scorer(kind=args.judge)
    threshold = settings.answer.supported_threshold
    items = build_sets(args.shared, c.embedder, args.seed)
    items += label_items(args.shared / "pdfs", args.label_passages, random.Random(args.seed))  # noqa: S311
    feats = featurize(items, FeatureExtractor(c.embedder, c.analyzer))
    cosines = plain_cosines(feats)
    figures: dict[str, Any] = {"scorer": judge.name, "scorer_version": judge.version, "threshold": threshold}
    if judge.name == "calibrated":
        model = load_support_model(settings.answer.support_model)
        fitter = Fitter(items, feats, expertqa_weight=3.0)
        figures["shipped_model"] = summarize(
            items, [fitter.score(model, i) for i in range(len(items))], cosines, threshold
        )
        figures["cross_validated"] = summarize(items, cross_validate(fitter), cosines, threshold)
    else:
        scores: list[float] = []
        for start in range(0, len(items), 8):
            batch = items[start : start + 8]
            scores += [r.score for r in judge.score([Claim(i.claim, i.passages) for i in batch])]
        figures["scores"] = summarize(items, scores, cosines, threshold)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    emit(figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
