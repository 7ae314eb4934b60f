"""``rag-eval`` end to end: real indexes, the real model, the service over HTTP, reports and the compare gate.

The PubMedQA subset here is the suite's CI check: its metrics must stay at or above the floors recorded in
``eval/ci_floors.json`` (full runs are separate commands; see eval/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eval.cli import main
from eval.suite.aggregate import higher_is_better
from eval.suite.datasets import load_dataset
from eval.suite.results import load, write
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.api.app import create_app
from tests.helpers import BIN, REPO, components_on, ingest, llm_env, serve_in_thread, shared

pytestmark = pytest.mark.integration

BIOASQ = REPO / "tests" / "data" / "bioasq_small.json"
FLOORS = REPO / "eval" / "ci_floors.json"
CI_SUBSET = 30


def rag_eval(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``rag-eval`` console script, as a user runs it."""
    return subprocess.run([str(BIN / "rag-eval"), *args], capture_output=True, text=True, env=os.environ)


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``rag-eval`` through its entry function (no interpreter start-up): exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def pubmedqa_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = json.loads(shared("pubmedqa", "pqal_dev.json").read_text())
    subset = tmp_path_factory.mktemp("pubmedqa") / "pqal_subset.json"
    subset.write_text(json.dumps({k: data[k] for k in list(data)[:CI_SUBSET]}))
    out = tmp_path_factory.mktemp("run") / "pubmedqa"
    assert (
        main(["run", "--dataset", "pubmedqa", "--path", str(subset), "--out", str(out), "--no-progress"]) == 0
    )
    return out


def test_ci_subset_stays_above_the_recorded_floors(pubmedqa_run: Path) -> None:
    metrics = load(pubmedqa_run)["metrics"]
    floors: dict[str, float] = json.loads(FLOORS.read_text())["pubmedqa_subset"]
    failures = []
    for metric, floor in floors.items():
        value = metrics.get(metric)
        ok = value is not None and (value >= floor if higher_is_better(metric) else value <= floor)
        if not ok:
            failures.append(f"{metric} = {value} (floor {floor})")
    assert not failures, "metrics past their floors: " + "; ".join(failures)


def test_results_folder_has_items_metadata_and_reports(pubmedqa_run: Path) -> None:
    results = load(pubmedqa_run)
    meta, items = results["meta"], results["items"]
    for key in (
        "settings_hash",
        "prompt_hash",
        "corpus_fingerprint",
        "dataset_sha256",
        "collection",
        "started_at",
    ):
        assert meta[key], key
    assert meta["corpus"]["documents"] == CI_SUBSET
    assert {i["variant"] for i in items} == {"answerable", "gold_removed"}
    assert len(items) == 2 * CI_SUBSET
    answered = next(i for i in items if i["answer"] and not i["answer"]["abstained"])
    sentence = answered["answer"]["sentences"][0]
    assert {"verdict", "score", "citation_recall", "citation_precision"} <= sentence.keys()
    assert answered["answer"]["citations"][0]["doc_id"].startswith("pubmedqa-")
    assert set(answered["retrieved"]) == {"pipeline", "bm25", "dense", "hybrid"}
    # The no-evidence signal: top-1 relevance with the gold abstract indexed against removed.
    assert results["metrics"]["relevance.auroc_gold_present_vs_removed"] > 0.8
    assert all(i["signals"]["top1_relevance"] is not None for i in items)
    report = (pubmedqa_run / "report.md").read_text()
    assert "retrieval.pipeline.hit@1" in report and "| bm25 |" in report and "| hybrid |" in report
    assert "## No relevant evidence signal" in report and "0.50 (configured)" in report
    assert "data:image/png;base64," in (pubmedqa_run / "report.html").read_text()


@pytest.mark.process
def test_compare_passes_an_identical_run_and_gates_a_regression(
    pubmedqa_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = rag_eval("compare", str(pubmedqa_run), str(pubmedqa_run))
    assert same.returncode == 0, same.stderr
    assert "retrieval.pipeline.hit@1" in same.stdout

    worse: dict[str, Any] = load(pubmedqa_run)
    for item in worse["items"][::4]:  # every other answerable item (variants alternate)
        if "retrieval.pipeline.hit@1" in item["scores"]:
            item["scores"]["retrieval.pipeline.hit@1"] = 0.0
    write(worse, tmp_path / "worse")
    code, out, _ = in_process(capsys, "compare", str(pubmedqa_run), str(tmp_path / "worse"))
    assert code == 1
    assert "REGRESSION" in out
    relaxed = ("--threshold", "retrieval.pipeline.hit@1=0.9")
    assert in_process(capsys, "compare", str(pubmedqa_run), str(tmp_path / "worse"), *relaxed)[0] == 0


def test_bioasq_snippets_are_the_corpus_and_the_gold(tmp_path: Path) -> None:
    out = tmp_path / "bioasq"
    assert (
        main(["run", "--dataset", "bioasq", "--path", str(BIOASQ), "--out", str(out), "--no-progress"]) == 0
    )
    results = load(out)
    # Five distinct snippets: the one repeated across two questions is indexed once.
    assert results["meta"]["corpus"]["documents"] == 5
    answerable = [i for i in results["items"] if i["variant"] == "answerable"]
    assert len(answerable) == 4
    assert all(d.startswith("bioasq-") for i in answerable for d in i["gold"]["doc_ids"])
    assert results["metrics"]["retrieval.pipeline.recall@10"] == 1.0
    assert results["metrics"]["retrieval.pipeline.ndcg@10"] > 0.5
    assert next(i for i in answerable if i["qid"] == "hand-001")["gold"]["decision"] == "yes"
    # Yes/no accuracy needs a generated answer; the extractive backend takes no position.
    assert "answer.decision_accuracy" not in results["metrics"]
    by_group = (out / "report.md").read_text().split("## By group", 1)[1]
    assert "| type yesno | 4 |" in by_group and "| type factoid | 2 |" in by_group


def test_http_target_gives_the_same_figures_as_in_process(
    tmp_path: Path, warm_embedder: SentenceTransformerEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = load_dataset("bioasq", BIOASQ, tmp_path).corpus
    assert corpus is not None
    data_dir = tmp_path / "data"
    c = components_on(data_dir, warm_embedder)
    c.open_index()
    assert ingest(c, corpus).ok
    local = tmp_path / "local"
    assert main(["run", "--dataset", "bioasq", "--path", str(BIOASQ), "--data-dir", str(data_dir),
                 "--out", str(local), "--no-progress"]) == 0  # fmt: skip
    # The service over real loopback HTTP, served from this process on the same warm components.
    with serve_in_thread(create_app(c.settings, components=c)) as base:
        code, _, err = in_process(capsys, "run", "--dataset", "bioasq", "--path", str(BIOASQ), "--url", base,
                                  "--out", str(tmp_path / "remote"), "--no-progress")  # fmt: skip
    assert code == 0, err
    a, b = load(local), load(tmp_path / "remote")
    assert b["meta"]["target"] == "http" and b["meta"]["url"] == base
    assert b["meta"]["corpus"]["documents"] == 5
    # One mapping of the API's responses and one index fingerprint, however the service is reached.
    fingerprint = a["meta"]["corpus_fingerprint"]
    assert fingerprint and fingerprint == b["meta"]["corpus_fingerprint"]
    for key, value in a["metrics"].items():
        if key.startswith(("retrieval.", "relevance.", "answer.", "abstention.")):
            assert b["metrics"][key] == pytest.approx(value), key
    assert [i["answer"] for i in a["items"]] == [i["answer"] for i in b["items"]]


def test_own_questions_with_an_unanswerable_one(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "sepsis-fluids", "title": "Sepsis fluids", "doc_type": "protocol", "year": 2024,
                    "text": "Adults with septic shock should receive 30 mL/kg of intravenous crystalloid "
                            "within the first three hours of resuscitation."}) + "\n"
        + json.dumps({"id": "asthma-relief", "title": "Asthma relief", "doc_type": "protocol",
                      "text": "An inhaled short-acting beta agonist such as salbutamol relieves acute "
                              "asthma symptoms within minutes."}) + "\n"
    )  # fmt: skip
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"id": "q1", "question": "How much crystalloid is given in septic shock?",
                    "gold_doc_ids": ["sepsis-fluids"]}) + "\n"
        + json.dumps({"id": "q2", "question": "Which operating system do Mars rovers run on?",
                      "answerable": False}) + "\n"
    )  # fmt: skip
    out = tmp_path / "own"
    assert main(["run", "--dataset", "jsonl", "--path", str(questions), "--corpus", str(corpus),
                 "--out", str(out), "--no-progress", "--no-baselines"]) == 0  # fmt: skip
    results = load(out)
    by_id = {i["id"]: i for i in results["items"]}
    assert set(by_id) == {"q1#answerable", "q1#gold_removed", "q2#unanswerable"}
    assert by_id["q1#answerable"]["answer"]["abstained"] is False
    assert by_id["q1#answerable"]["answer"]["citations"][0]["doc_id"] == "sepsis-fluids"
    assert by_id["q2#unanswerable"]["answer"]["abstained"] is True
    assert results["metrics"]["abstention.recall"] == 1.0
    assert results["metrics"]["abstention.precision"] == 1.0
    assert results["meta"]["rows"] == ["pipeline"]
    assert by_id["q1#answerable"]["answer"]["currency"]["newest_year"] == 2024
    assert results["metrics"]["currency.median_newest_year"] == 2024.0
    assert results["metrics"]["currency.stale_rate"] == 0.0


def test_kqa_comprehensiveness_with_an_llm_backend(
    tmp_path: Path, fake_llm: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "escitalopram", "title": "Escitalopram", "doc_type": "drug_label",
                    "text": "Escitalopram is an antidepressant of the SSRI class. Side effects of escitalopram "
                            "include headache, nausea and insomnia."}) + "\n"
    )  # fmt: skip
    questions = tmp_path / "kqa.jsonl"
    questions.write_text(
        json.dumps({"Question": "What is escitalopram and what are its side effects?",
                    "Free_form_answer": "An SSRI antidepressant.",
                    "Must_have": ["Escitalopram is an antidepressant of the SSRI class",
                                  "Escitalopram is contraindicated with MAO inhibitors"],
                    "Nice_to_have": ["Escitalopram is not an antidepressant of the SSRI class"]}) + "\n"
    )  # fmt: skip
    with pytest.raises(SystemExit, match="--backend openai"):
        main(["run", "--dataset", "kqa", "--path", str(questions), "--corpus", str(corpus), "--no-progress"])
    for key, value in llm_env(fake_llm).items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "kqa"
    code, _, err = in_process(capsys, "run", "--dataset", "kqa", "--path", str(questions), "--corpus",
                              str(corpus), "--judge", "llm_judge", "--out", str(out), "--no-progress")  # fmt: skip
    assert code == 0, err
    results = load(out)
    assert results["meta"]["answer_backend"] == "openai"
    # The judge is the LLM (the scripted one says SUPPORTED when the statement occurs in the evidence).
    assert results["meta"]["judge"] == "llm_judge" and results["meta"]["support_scorer"] == "calibrated"
    assert results["metrics"]["answer.citation_recall"] > 0
    # The scripted model quotes the passage's first sentence: one of two must-haves is covered, and the
    # nice-to-have that negates it is contradicted (one of three statements).
    assert results["metrics"]["kqa.comprehensiveness"] == pytest.approx(0.5)
    assert results["metrics"]["kqa.contradiction_rate"] == pytest.approx(1 / 3, abs=1e-3)


def test_expertqa_agreement_with_human_labels(tmp_path: Path) -> None:
    lines = shared("expertqa_med", "expertqa_med_val.jsonl").read_text().splitlines()[:25]
    subset = tmp_path / "expertqa.jsonl"
    subset.write_text("\n".join(lines) + "\n")
    out = tmp_path / "expertqa"
    assert (
        main(["run", "--dataset", "expertqa", "--path", str(subset), "--out", str(out), "--no-progress"]) == 0
    )
    results = load(out)
    assert results["meta"]["rows"] == []
    assert 0.0 <= results["metrics"]["support.auroc"] <= 1.0
    assert results["counts"]["support.accuracy"] == len(results["items"]) > 20
    assert all(i["signals"]["support_label"] in (0, 1) for i in results["items"])


def test_bad_input_gets_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = in_process(capsys, "run", "--dataset", "pubmedqa", "--path", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: no such file" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "fine"}\n{"question": 3}\n')
    code, _, err = in_process(
        capsys, "run", "--dataset", "jsonl", "--path", str(bad), "--corpus", str(BIOASQ)
    )
    assert code == 2 and "line 2" in err
    code, _, err = in_process(
        capsys, "run", "--dataset", "bioasq", "--path", str(BIOASQ), "--url", "http://127.0.0.1:9"
    )
    assert code == 2 and "127.0.0.1:9" in err
    empty = ("--data-dir", str(tmp_path / "empty-index"))
    code, _, err = in_process(capsys, "run", "--dataset", "bioasq", "--path", str(BIOASQ), *empty)
    assert code == 2 and "gold documents in the index" in err
    code, _, err = in_process(
        capsys, "run", "--dataset", "bioasq", "--path", str(BIOASQ), "--backend", "openai"
    )
    assert code == 2 and "RAG_LLM__BASE_URL" in err and err.count("\n") == 1  # no LLM server configured
    code, _, err = in_process(capsys, "compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 2 and "results.json" in err


def test_yes_no_accuracy_of_a_generated_answer(
    tmp_path: Path, fake_llm: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(BIOASQ.read_text())
    first = data["questions"][0]  # yes/no, gold "yes"
    first["body"] += " SCENARIO-yes"  # the scripted model opens its answer with "Yes, ..."
    path = tmp_path / "bioasq_yes.json"
    path.write_text(json.dumps({"questions": [first]}))
    out = tmp_path / "yes"
    for key, value in llm_env(fake_llm).items():
        monkeypatch.setenv(key, value)
    code, _, err = in_process(capsys, "run", "--dataset", "bioasq", "--path", str(path), "--backend", "openai",
                              "--no-variants", "--no-baselines", "--out", str(out), "--no-progress")  # fmt: skip
    assert code == 0, err
    results = load(out)
    assert results["items"][0]["answer"]["text"].startswith("Yes, ")
    assert results["metrics"]["answer.decision_accuracy"] == 1.0
