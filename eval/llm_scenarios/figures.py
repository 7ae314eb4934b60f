"""The scenario figures: what verification made of the scripted model's faithful and altered answers.

Read from the ``results.json`` of a ``rag-eval run`` against each scenario (answerable items only) and, for
``hallucinate``, the scripted model's alteration log, joined on the PMID (the item's ``qid``).

faithful
    abstention rate on answerable items (rag-eval's ``abstention.rate_on_answerable``); the share of all
    verified sentences judged ``supported`` (pooled over sentences, those of answers the service then
    abstained on included: every one was written faithfully); citation recall (rag-eval's ALCE
    ``answer.citation_recall``, over the answers given).
hallucinate
    the share of altered answers *caught*: the answer abstained, the altered sentence is absent from it
    (dropped) or its verdict is not ``supported``; among the answers given, the share of altered sentences
    not ``supported`` (absent counts as not supported); both by alteration kind too.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

Outcome = Literal["abstained", "absent", "not_supported", "supported"]

# The bars the issue sets; (comparison, bound) per figure, keyed "<scenario>.<figure>".
TARGETS: dict[str, tuple[Literal["<", ">="], float]] = {
    "faithful.abstention_rate_on_answerable": ("<", 0.10),
    "faithful.supported_sentence_share": (">=", 0.80),
    "faithful.citation_recall": (">=", 0.85),
    "hallucinate.caught_share": (">=", 0.90),
    "hallucinate.not_supported_share_among_given": (">=", 0.80),
}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _answer_metrics(results: Mapping[str, Any]) -> dict[str, Any]:
    """rag-eval's own answer, verification and abstention metrics of the run, for reference."""
    prefixes = ("answer.", "verification.", "abstention.")
    return {k: v for k, v in sorted(results["metrics"].items()) if k.startswith(prefixes)}


def _answerable(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Answerable items that got an answer (a failed request has none)."""
    return [i for i in results["items"] if i.get("variant") == "answerable" and i.get("answer") is not None]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def find_sentence(sentences: Sequence[Mapping[str, Any]], text: str) -> Mapping[str, Any] | None:
    """The answer sentence whose text is ``text`` (case and spacing ignored; else one containing the other)."""
    wanted = _key(text)
    for s in sentences:
        if _key(s["text"]) == wanted:
            return s
    for s in sentences:
        have = _key(s["text"])
        if have and (wanted in have or have in wanted):
            return s
    return None


def cited_doc_ids(answer: Mapping[str, Any], sentence: Mapping[str, Any]) -> list[str]:
    """Document ids of the passages a sentence cites, through the answer's numbered citations."""
    docs = {c["number"]: c["doc_id"] for c in answer["citations"]}
    return [docs[n] for n in sentence["citations"] if n in docs]


def faithful_figures(results: Mapping[str, Any]) -> dict[str, Any]:
    """Abstention, verdict shares and citation recall of the faithful run."""
    items = _answerable(results)
    metrics = results["metrics"]
    abstained = [i for i in items if i["answer"]["abstained"]]
    verified = [s for i in items for s in i["answer"]["sentences"]]
    in_answers = [s for i in items if not i["answer"]["abstained"] for s in i["answer"]["sentences"]]
    verdicts = Counter(s["verdict"] for s in verified)
    own = sum(
        1
        for i in items
        for s in i["answer"]["sentences"]
        if s["citations"] and set(cited_doc_ids(i["answer"], s)) <= set(i["gold"]["doc_ids"])
    )
    return {
        "questions": len(items),
        "abstention_rate_on_answerable": metrics.get("abstention.rate_on_answerable"),
        "abstentions_by_code": dict(Counter(str(i["answer"]["abstain_code"]) for i in abstained)),
        "answered": len(items) - len(abstained),
        "sentences_verified": len(verified),
        "supported_sentence_share": _share(verdicts["supported"], len(verified)),
        "verdict_shares": {
            v: _share(verdicts[v], len(verified)) for v in ("supported", "partial", "unsupported")
        },
        "supported_sentence_share_in_answers": _share(
            sum(s["verdict"] == "supported" for s in in_answers), len(in_answers)
        ),
        "citation_recall": metrics.get("answer.citation_recall"),
        "citation_precision": metrics.get("answer.citation_precision"),
        "sentences_citing_only_own_abstract": _share(own, len(verified)),
        "rag_eval_metrics": _answer_metrics(results),
    }


def read_alterations(path: Path) -> list[dict[str, Any]]:
    """The scripted model's alteration log (one JSON object a line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def outcome(
    answer: Mapping[str, Any], alteration: Mapping[str, Any]
) -> tuple[Outcome, Mapping[str, Any] | None]:
    """What became of an altered sentence in the service's answer, and the answer sentence it became."""
    sentence = find_sentence(answer["sentences"], str(alteration["after"]))
    if answer["abstained"]:
        return "abstained", sentence
    if sentence is None:
        return "absent", None
    return ("supported" if sentence["verdict"] == "supported" else "not_supported"), sentence


def _catch_figures(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    counts = Counter(outcomes)
    given = len(outcomes) - counts["abstained"]
    return {
        "altered_answers": len(outcomes),
        "caught_share": _share(len(outcomes) - counts["supported"], len(outcomes)),
        "given_answers": given,
        "not_supported_share_among_given": _share(given - counts["supported"], given),
        "outcomes": {o: counts[o] for o in ("abstained", "absent", "not_supported", "supported")},
    }


def join_alterations(
    results: Mapping[str, Any], alterations: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each alteration of a question in the run, with its outcome and the verdict of the altered sentence."""
    by_qid = {str(i["qid"]): i for i in _answerable(results)}
    latest = {str(a["pmid"]): a for a in alterations}  # a question asked twice is altered the same way
    joined: list[dict[str, Any]] = []
    for pmid, alteration in latest.items():
        item = by_qid.get(pmid)
        if item is None:
            continue
        result, sentence = outcome(item["answer"], alteration)
        joined.append(
            {
                **alteration,
                "outcome": result,
                "abstain_code": item["answer"]["abstain_code"],
                "verdict": sentence["verdict"] if sentence else None,
                "score": sentence["score"] if sentence else None,
                "cited_doc_ids": cited_doc_ids(item["answer"], sentence) if sentence else [],
                "gold_doc_ids": item["gold"]["doc_ids"],
            }
        )
    return joined


def hallucinate_figures(results: Mapping[str, Any], joined: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Catch figures over every altered answer and by alteration kind."""
    kinds = sorted({str(j["kind"]) for j in joined})
    return {
        "questions": len(_answerable(results)),
        **_catch_figures([j["outcome"] for j in joined]),
        "by_kind": {k: _catch_figures([j["outcome"] for j in joined if j["kind"] == k]) for k in kinds},
        "rag_eval_metrics": _answer_metrics(results),
    }


def check_targets(figures: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each target with the measured value and whether it is met (a missing value is not met)."""
    out: dict[str, dict[str, Any]] = {}
    for name, (op, bound) in TARGETS.items():
        scenario, figure = name.split(".", 1)
        value = figures.get(scenario, {}).get(figure)
        met = value is not None and (value < bound if op == "<" else value >= bound)
        out[name] = {"value": value, "target": f"{op} {bound:g}", "met": met}
    return out
