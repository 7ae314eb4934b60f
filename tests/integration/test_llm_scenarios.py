"""``rag-eval --backend openai`` against the scripted LLM's faithful and hallucinating scenarios.

The real answer path end to end: a real index of PubMedQA abstracts, the real embedding model, the scripted
model over HTTP on loopback, the service's parsing and verification, rag-eval's scoring. The default run
checks that the scenario figures are computed and well-formed on 10 questions; the targets themselves are
asserted by the slow test on 100 questions (see eval/README.md, "Scripted-LLM scenarios").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.bench_llm_scenarios import run_scenarios
from eval.llm_scenarios.figures import TARGETS, cited_doc_ids
from eval.suite.results import load
from tests.helpers import shared

pytestmark = [pytest.mark.integration, pytest.mark.process]  # run_scenarios starts the scripted LLM server

SMALL = 10
FULL = 100


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    data = json.loads(shared("pubmedqa", "pqal_dev.json").read_text())
    subset = tmp_path_factory.mktemp("pubmedqa") / "pqal_subset.json"
    subset.write_text(json.dumps({k: data[k] for k in list(data)[:SMALL]}))
    out = tmp_path_factory.mktemp("scenarios")
    return out, run_scenarios(subset, out, progress=False)


def _share(value: object) -> bool:
    return value is None or (isinstance(value, float | int) and 0.0 <= value <= 1.0)


def test_faithful_figures_are_computed(small_run: tuple[Path, dict[str, Any]]) -> None:
    out, figures = small_run
    faithful = figures["faithful"]
    assert faithful["questions"] == SMALL and faithful["sentences_verified"] > SMALL
    assert (
        faithful["abstention_rate_on_answerable"] is not None
        and faithful["supported_sentence_share"] is not None
    )
    for key in ("abstention_rate_on_answerable", "supported_sentence_share", "citation_recall"):
        assert _share(faithful[key]), key
    assert sum(faithful["verdict_shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert set(figures["targets"]) == set(TARGETS)
    results = load(out / "faithful")
    assert (
        results["meta"]["answer_backend"] == "openai"
        and results["meta"]["answer_model"] == "scripted-faithful"
    )
    for metric in ("abstention.rate_on_answerable", "verification.supported_sentence_rate"):
        assert metric in results["metrics"] and metric in (out / "faithful" / "report.md").read_text()
    assert json.loads((out / "figures.json").read_text())["faithful"] == faithful


def test_every_faithful_sentence_cites_a_passage_of_its_own_abstract(
    small_run: tuple[Path, dict[str, Any]],
) -> None:
    out, figures = small_run
    items = load(out / "faithful")["items"]
    sentences = [(i, s) for i in items for s in i["answer"]["sentences"]]
    assert sentences
    for item, sentence in sentences:
        cited = cited_doc_ids(item["answer"], sentence)
        assert cited and set(cited) <= set(item["gold"]["doc_ids"]), (item["qid"], sentence["text"])
    assert figures["faithful"]["sentences_citing_only_own_abstract"] == 1.0


def test_every_alteration_is_found_in_its_answer(small_run: tuple[Path, dict[str, Any]]) -> None:
    out, figures = small_run
    joined = [json.loads(line) for line in (out / "hallucinate" / "joined.jsonl").read_text().splitlines()]
    log = (out / "hallucinate" / "alterations.jsonl").read_text().splitlines()
    assert len(joined) == len(log) >= SMALL // 2
    for j in joined:
        # Found among the answer's verified sentences, with the citations the scripted model gave it.
        assert j["verdict"] is not None, j["after"]
        assert j["kind"] in ("number", "negation", "citation")
        if j["kind"] == "citation":
            assert j["before"] == j["after"] and not set(j["cited_doc_ids"]) <= set(j["gold_doc_ids"])
        else:
            assert j["before"] != j["after"] and set(j["cited_doc_ids"]) <= set(j["gold_doc_ids"])
    hallucinate = figures["hallucinate"]
    assert hallucinate["altered_answers"] == len(joined)
    assert sum(hallucinate["outcomes"].values()) == len(joined)
    assert sum(k["altered_answers"] for k in hallucinate["by_kind"].values()) == len(joined)
    assert _share(hallucinate["caught_share"]) and _share(hallucinate["not_supported_share_among_given"])


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True, reason="the calibrated scorer misses the negation targets: see eval/README.md, scenarios"
)
def test_scenario_targets_on_100_pubmedqa_questions(tmp_path: Path) -> None:
    """The issue's bars: switched on once the support scorer reaches them (about 10 minutes on 2 cores)."""
    figures = run_scenarios(shared("pubmedqa", "pqal_dev.json"), tmp_path, limit=FULL, progress=False)
    missed = {name: t for name, t in figures["targets"].items() if not t["met"]}
    assert not missed, f"scenario targets not met: {missed}"
