"""How well the citation-support scorer separates supported sentences from harmful errors and agrees with humans.

Run::

    python -m eval.bench_support --out eval/reports/support.json

Part 1, perturbations of real evidence (PubMedQA abstract contexts and the FDA label PDFs): sentences are
taken from passages (fixed seed) and turned into supported and perturbed claims, each cited to a passage:

* supported: the sentence verbatim; and, where possible, a light rewording that keeps the meaning (synonyms
  such as "patients" -> "subjects", a parenthetical such as "(n = 45)" removed), which is not verbatim;
* number: a number changed (30 -> 60); unit: a unit changed (mg -> g, hours -> days);
* negation: a negation added or removed ("was" -> "was not", "should" -> "should not");
* wrong passage: the sentence cited to another passage of the same source (on-topic, but not its own);
* no support: the sentence cited to its own passage with that sentence removed from it.

Nothing is tuned on these items: the scorer has no trained parameters. AUROC is reported for supported vs
perturbed, overall and with only the reworded (non-verbatim) supported claims, plus each perturbation's
catch rate at the configured ``answer.supported_threshold`` (caught = not judged "supported").

Part 2, agreement with human labels: ExpertQA medical claims with the evidence text their annotators saw
(Complete = supported; Missing = unsupported; Partial/Incomplete reported separately), and K-QA's 399
physician NLI labels (the model answer as evidence, the gold statement as claim; Entailment vs the rest).
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from eval.metrics import auroc
from eval.report import emit
from ingest.loaders import loader_for
from ingest.loaders.base import LoadContext
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.services.reranking import split_sentences
from rag_service.services.support import Claim, HeuristicSupportScorer
from rag_service.settings import Settings

SYNONYMS = {
    "patients": "subjects",
    "increased": "raised",
    "decreased": "reduced",
    "significantly": "markedly",
    "use": "usage",
    "children": "paediatric patients",
    "risk": "likelihood",
    "associated with": "linked to",
    "compared with": "relative to",
    "administered": "given",
}
UNIT_SWAPS = {
    "mg": "g",
    "mcg": "mg",
    "g": "mg",
    "ml": "l",
    "hours": "days",
    "days": "weeks",
    "weeks": "months",
    "%": " mg",
    "kg": "g",
    "h": "days",
    "years": "months",
    "months": "years",
    "mmhg": "kPa",
}
NEGATABLE = [
    (" should ", " should not "),
    (" was ", " was not "),
    (" were ", " were not "),
    (" is ", " is not "),
    (" are ", " are not "),
    (" can ", " cannot "),
    (" may ", " may not "),
    (" did ", " did not "),
]
_NUM = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(\s*)(mg|mcg|g|ml|mL|hours|days|weeks|%|kg|h|years|months|mmHg)?\b"
)
_PAREN = re.compile(r"\s*\([^()]{1,80}\)")


def pubmedqa_passages(path: Path) -> dict[str, list[str]]:
    """Abstract contexts per PMID."""
    data = json.loads(path.read_text())
    return {pmid: [c for c in entry["CONTEXTS"] if c.strip()] for pmid, entry in data.items()}


def label_passages(folder: Path) -> dict[str, list[str]]:
    """FDA label PDFs cut into passages of five consecutive sentences."""
    out: dict[str, list[str]] = {}
    for pdf in sorted(folder.glob("fda_*.pdf")):
        loader = loader_for(pdf)
        assert loader is not None
        result = loader(pdf.read_bytes(), LoadContext(path=pdf, default_doc_id=pdf.stem))
        sentences = [s for d in result.documents for sec in d.sections for s in split_sentences(sec.text)]
        out[pdf.stem] = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return out


def _change_number(sentence: str, rng: random.Random) -> str | None:
    matches = list(_NUM.finditer(sentence))
    if not matches:
        return None
    m = rng.choice(matches)
    value = float(m.group(1))
    new = value * 2 if value else 5
    text = f"{new:g}" if "." in m.group(1) else str(int(new))
    return sentence[: m.start(1)] + text + sentence[m.end(1) :]


def _change_unit(sentence: str) -> str | None:
    for m in _NUM.finditer(sentence):
        unit = m.group(3)
        if unit and unit.lower() in UNIT_SWAPS:
            return sentence[: m.start(3)] + UNIT_SWAPS[unit.lower()].strip() + sentence[m.end(3) :]
    return None


def _flip_negation(sentence: str) -> str | None:
    padded = f" {sentence} "
    for plain, negated in NEGATABLE:
        if negated in padded:
            return padded.replace(negated, plain, 1).strip()
    for plain, negated in NEGATABLE:
        if plain in padded:
            return padded.replace(plain, negated, 1).strip()
    return None


def _reword(sentence: str) -> str | None:
    out = _PAREN.sub("", sentence)
    for a, b in SYNONYMS.items():
        out = re.sub(rf"\b{re.escape(a)}\b", b, out)
    return out if out != sentence else None


def perturbation_items(
    sources: dict[str, list[str]], per_source: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Supported and perturbed claims built from real passages."""
    items: list[dict[str, Any]] = []
    for source, passages in sources.items():
        usable = [i for i, p in enumerate(passages) if any(len(s.split()) >= 8 for s in split_sentences(p))]
        for idx in rng.sample(usable, min(per_source, len(usable))):
            passage = passages[idx]
            sentences = split_sentences(passage)
            sentence = rng.choice([s for s in sentences if len(s.split()) >= 8]).strip()
            variants: list[tuple[str, str | None, str, int]] = [("verbatim", sentence, passage, 1)]
            variants.append(("reworded", _reword(sentence), passage, 1))
            variants.append(("number", _change_number(sentence, rng), passage, 0))
            variants.append(("unit", _change_unit(sentence), passage, 0))
            variants.append(("negation", _flip_negation(sentence), passage, 0))
            others = [p for j, p in enumerate(passages) if j != idx and p.strip()]
            if others:
                variants.append(("wrong_passage", sentence, rng.choice(others), 0))
            rest = " ".join(s for s in sentences if s.strip() != sentence)
            if rest.strip():
                variants.append(("no_support", sentence, rest, 0))
            for kind, claim, evidence, label in variants:
                if claim:
                    items.append(
                        {"source": source, "kind": kind, "claim": claim, "evidence": evidence, "label": label}
                    )
    return items


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


def score(scorer: HeuristicSupportScorer, items: list[dict[str, Any]]) -> list[float]:
    """Support score of each item (claim against its evidence)."""
    out: list[float] = []
    for start in range(0, len(items), 256):
        batch = items[start : start + 256]
        results = scorer.score([Claim(i["claim"], (i["evidence"],)) for i in batch])
        out.extend(r.score for r in results)
    return out


def binary_report(scores: list[float], labels: list[int], threshold: float) -> dict[str, Any]:
    """AUROC and precision/recall of 'supported' at the threshold."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    neg = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    predicted = [s >= threshold for s in scores]
    tp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and y == 1)
    fp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and y == 0)
    fn = sum(1 for p, y in zip(predicted, labels, strict=True) if not p and y == 1)
    return {
        "n_supported": len(pos),
        "n_unsupported": len(neg),
        "auroc": round(auroc(pos, neg), 4),
        "threshold": threshold,
        "precision_supported": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall_supported": round(tp / (tp + fn), 4) if tp + fn else None,
    }


def main() -> int:
    """Run both parts and print the figures as JSON (also written to --out)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--pubmedqa-passages", type=int, default=300, help="PubMedQA passages sampled")
    parser.add_argument("--label-passages", type=int, default=15, help="passages sampled per FDA label")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.embedding, settings.model_label())
    embedder.warm_up()
    scorer = HeuristicSupportScorer(embedder)
    threshold = settings.answer.supported_threshold
    rng = random.Random(args.seed)  # noqa: S311 - a benchmark sample, not a secret

    pubmed = pubmedqa_passages(args.shared / "pubmedqa" / "pqal_dev.json")
    # One passage per abstract; other contexts of the same abstract serve as on-topic wrong passages.
    chosen = rng.sample(sorted(pubmed), min(args.pubmedqa_passages, len(pubmed)))
    items = perturbation_items({k: pubmed[k] for k in chosen}, 1, rng)
    items += perturbation_items(label_passages(args.shared / "pdfs"), args.label_passages, rng)
    scores = score(scorer, items)
    labels = [i["label"] for i in items]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for item, s in zip(items, scores, strict=True):
        by_kind[item["kind"]].append(s)
    reworded_pos = by_kind["reworded"]
    negatives = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    perturbation = {
        "overall": binary_report(scores, labels, threshold),
        "auroc_reworded_supported_vs_perturbed": round(auroc(reworded_pos, negatives), 4),
        "by_kind": {
            kind: {
                "n": len(v),
                "mean_score": round(sum(v) / len(v), 4),
                ("judged_supported" if kind in {"verbatim", "reworded"} else "caught"): round(
                    sum((s >= threshold) == (kind in {"verbatim", "reworded"}) for s in v) / len(v), 4
                ),
            }
            for kind, v in sorted(by_kind.items())
        },
    }

    eqa = expertqa_items(args.shared / "expertqa_med" / "expertqa_med_val.jsonl")
    eqa_scores = score(scorer, eqa)
    strict = [
        (s, 1 if i["label"] == "Complete" else 0)
        for s, i in zip(eqa_scores, eqa, strict=True)
        if i["label"] in {"Complete", "Missing"}
    ]
    lenient = [(s, 1 if i["label"] == "Complete" else 0) for s, i in zip(eqa_scores, eqa, strict=True)]
    kqa = kqa_items(args.shared / "kqa" / "dataset" / "NLI_medical_annotator.csv")
    kqa_scores = score(scorer, kqa)
    kqa_labels = [1 if i["label"] == "Entailment" else 0 for i in kqa]
    figures = {
        "scorer": scorer.name,
        "embedding_model": embedder.model_id,
        "perturbation": perturbation,
        "expertqa_complete_vs_missing": binary_report(
            [s for s, _ in strict], [y for _, y in strict], threshold
        ),
        "expertqa_complete_vs_rest": binary_report(
            [s for s, _ in lenient], [y for _, y in lenient], threshold
        ),
        "kqa_entailment_vs_rest": binary_report(kqa_scores, kqa_labels, threshold),
        "seconds": round(time.perf_counter() - started, 1),
    }
    emit(figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
