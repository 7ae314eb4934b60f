"""rag-eval's pure parts on hand-made cases: citation metrics, overlap, decisions, pooling, loaders."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from eval.metrics import citation_support, parse_decision, token_f1
from eval.suite.aggregate import ItemTable, higher_is_better
from eval.suite.datasets import DatasetError, load_dataset, sample, snippet_doc_id
from eval.suite.items import EvalItem
from eval.suite.scoring import citation_scores, kqa_scores, verification_scores
from eval.suite.targets import answer_record
from rag_service.domain.answers import SupportResult
from rag_service.domain.protocols import SupportClaim

pytestmark = pytest.mark.unit
BIOASQ = Path(__file__).parents[1] / "data" / "bioasq_small.json"


class KeywordJudge:
    """Supports a sentence when one of its passages contains the sentence's last word."""

    name = "keyword"
    version = "last-word-1"

    def warm_up(self) -> None:
        """Nothing to load."""

    def score(self, claims: Sequence[SupportClaim]) -> list[SupportResult]:
        out = []
        for claim in claims:
            word = claim.text.rstrip(".").split()[-1].lower()
            out.append(SupportResult(float(any(word in p.lower() for p in claim.passages)), None))
        return out


def test_citation_support_follows_alce() -> None:
    assert citation_support(True, [True], [False]) == (1.0, 1)
    assert citation_support(False, [False], [False]) == (0.0, 0)
    # Two citations: one supports alone, the other is redundant (the first suffices without it).
    assert citation_support(True, [True, False], [False, True]) == (1.0, 1)
    # Neither supports alone but both are needed together: both precise.
    assert citation_support(True, [False, False], [False, False]) == (1.0, 2)
    assert citation_support(True, [], []) == (0.0, 0)


def test_citation_scores_per_sentence_and_answer() -> None:
    answer: dict[str, Any] = {
        "citations": [
            {"number": 1, "text": "Give oxygen for hypoxaemia."},
            {"number": 2, "text": "Unrelated passage on fractures."},
        ],
        "sentences": [
            {"text": "Treat with oxygen.", "citations": [1, 2], "verdict": "supported"},
            {"text": "Then give antibiotics.", "citations": [2], "verdict": "unsupported"},
            {"text": "Uncited claim.", "citations": [], "verdict": "unsupported"},
        ],
        "invalid_citations_removed": 1,
    }
    scores = citation_scores(answer, KeywordJudge(), threshold=0.5)
    assert scores["answer.citation_recall"] == pytest.approx(1 / 3)
    assert scores["answer.citation_precision"] == pytest.approx(1 / 3)  # 1 precise of 3 citations
    assert scores["answer.unsupported_sentence_rate"] == pytest.approx(2 / 3)
    assert scores["answer.supported_sentence_rate"] == pytest.approx(1 / 3)
    assert scores["answer.invalid_citation_rate"] == pytest.approx(1 / 4)
    first = answer["sentences"][0]
    assert first["citation_recall"] == 1.0 and first["citation_precision"] == 0.5


def test_verification_counts_the_sentences_of_a_draft_the_service_abstained_on() -> None:
    answer = {"abstained": True, "sentences": [{"verdict": "supported"}, {"verdict": "partial"}]}
    assert verification_scores(answer) == {"verification.supported_sentence_rate": 0.5}
    assert verification_scores({"abstained": True, "sentences": []}) == {}


def test_kqa_coverage_and_contradiction() -> None:
    item = EvalItem(
        qid="k",
        question="q",
        must_have=("Ibuprofen treats pain", "Ibuprofen thins blood"),
        nice_to_have=("Ibuprofen is not an analgesic for pain",),
    )
    answer = {"abstained": False, "text": "Ibuprofen is an analgesic for pain [1]."}
    scores = kqa_scores(item, answer, KeywordJudge(), threshold=0.5)
    assert scores["kqa.comprehensiveness"] == 0.5
    assert scores["kqa.contradiction_rate"] == pytest.approx(1 / 3)
    silent = kqa_scores(item, {"abstained": True, "text": ""}, KeywordJudge(), threshold=0.5)
    assert silent == {"kqa.comprehensiveness": 0.0, "kqa.contradiction_rate": 0.0}


def test_token_f1_and_decisions() -> None:
    assert token_f1("Vitamin C deficiency", "vitamin c deficiency") == 1.0
    assert token_f1("", "x") == 0.0
    assert token_f1("a b", "b c") == pytest.approx(0.5)
    assert parse_decision("Yes, metformin is first line [1].") == "yes"
    assert parse_decision("No. It does not.") == "no"
    assert parse_decision("The evidence is mixed across trials.") == "maybe"
    assert parse_decision("Metformin lowers glucose.") is None


def test_abstention_precision_and_recall_are_pooled() -> None:
    def item(i: int, abstained: int, should: int) -> dict[str, object]:
        return {"id": str(i), "scores": {}, "signals": {"abstained": abstained, "should_abstain": should}}

    # 3 should abstain (2 did), 3 should answer (1 abstained anyway).
    rows = [item(0, 1, 1), item(1, 1, 1), item(2, 0, 1), item(3, 1, 0), item(4, 0, 0), item(5, 0, 0)]
    metrics = ItemTable(rows).aggregate()
    assert metrics["abstention.precision"] == pytest.approx(2 / 3)
    assert metrics["abstention.recall"] == pytest.approx(2 / 3)
    assert metrics["abstention.rate_on_answerable"] == pytest.approx(1 / 3)
    assert not higher_is_better("abstention.rate_on_answerable") and higher_is_better("abstention.recall")


def test_no_evidence_auroc_pools_top1_relevance_of_gold_indexed_against_removed() -> None:
    def item(i: int, top1: float, should: int) -> dict[str, object]:
        return {"id": str(i), "scores": {}, "signals": {"should_abstain": should, "top1_relevance": top1}}

    # Indexed: 0.9, 0.6, 0.4; removed: 0.5, 0.2. Pairs ranked right: 5 of 6.
    rows = [item(0, 0.9, 0), item(1, 0.6, 0), item(2, 0.4, 0), item(3, 0.5, 1), item(4, 0.2, 1)]
    table = ItemTable(rows)
    assert table.aggregate()["relevance.auroc_gold_present_vs_removed"] == pytest.approx(5 / 6)
    assert table.counts()["relevance.auroc_gold_present_vs_removed"] == 5
    assert ItemTable(rows[:3]).aggregate().get("relevance.auroc_gold_present_vs_removed") is None


def test_an_api_answer_maps_to_the_plain_answer_shape() -> None:
    citation = {
        "number": 1, "rank": 1, "chunk_id": "d1#0", "text": "Metformin lowers glucose.", "score": 0.8,
        "relevance": 0.8, "scores": {}, "doc_id": "d1", "title": "Diabetes", "heading_path": ["Drugs"],
        "heading": "Drugs", "page": None, "doc_type": "guideline", "source": "d1.md", "url": None,
        "organisation": None, "journal": None, "year": None, "version": "2", "series_id": None, "pmid": None,
        "pmcid": None, "doi": None, "superseded": False, "duplicates": [],
    }  # fmt: skip
    body = {
        "answer": "Metformin lowers glucose [1].", "abstained": False, "abstain_reason": None,
        "citations": [citation], "query": "q", "invalid_citations_removed": 1, "dropped_sentences": 0,
        "sentences": [{"text": "Metformin lowers glucose.", "citations": [1], "verdict": "supported",
                       "score": 0.912345, "evidence_sentence": None, "reasons": []}],
        "provenance": {"settings_hash": "abc", "documents": [{"doc_id": "d1"}]}, "timings_ms": {"total": 1.0},
    }  # fmt: skip
    answer = answer_record(body)
    assert answer == {
        "text": "Metformin lowers glucose [1].",
        "abstained": False,
        "abstain_code": None,
        "invalid_citations_removed": 1,
        "citations": [
            {"number": 1, "doc_id": "d1", "chunk_id": "d1#0", "title": "Diabetes", "heading": "Drugs",
             "page": None, "version": "2", "text": "Metformin lowers glucose.",
             "evidence": {"system": "unknown", "strength": "unknown", "certainty": "unknown",
                          "study_design": "unknown", "label": ""}}
        ],
        "sentences": [{"text": "Metformin lowers glucose.", "citations": [1], "verdict": "supported",
                       "score": 0.9123}],
        "provenance": {"settings_hash": "abc"},
        "currency": None,  # a service that does not report it
    }  # fmt: skip
    abstained = body | {
        "answer": "", "abstained": True, "citations": [], "sentences": [],
        "abstain_reason": {"code": "no_evidence", "message": "nothing relevant"},
    }  # fmt: skip
    assert answer_record(abstained)["abstain_code"] == "no_evidence"


def test_bioasq_loader_dedups_snippets(tmp_path: Path) -> None:
    ds = load_dataset("bioasq", BIOASQ, tmp_path)
    assert len(ds.items) == 4 and ds.corpus is not None
    records = [json.loads(line) for line in ds.corpus.read_text().splitlines()]
    assert len(records) == 5
    first = next(i for i in ds.items if i.qid == "hand-001")
    assert first.decision == "yes" and first.extra["type"] == "yesno"
    metformin = records[0]["text"]
    assert snippet_doc_id("http://www.ncbi.nlm.nih.gov/pubmed/10000001", metformin) in first.gold_doc_ids
    assert records[0]["pmid"] == "10000001"


def test_jsonl_loader_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "ok", "gold_doc_ids": ["a"]}\n\n{"question": "x", "answerable": "no"}\n')
    with pytest.raises(DatasetError, match="line 3: 'answerable' must be true or false"):
        load_dataset("jsonl", path, tmp_path)
    path.write_text(
        '{"question": "ok", "gold_doc_ids": ["a"]}\n{"id": "u", "question": "?", "answerable": false, "group": "ward"}\n'
    )
    ds = load_dataset("jsonl", path, tmp_path)
    assert [(i.qid, i.answerable) for i in ds.items] == [("q1", True), ("u", False)]
    assert ds.items[1].extra == {"group": "ward"} and ds.items[0].extra == {}
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset("jsonl", tmp_path / "missing.jsonl", tmp_path)
    with pytest.raises(DatasetError, match="not a bioasq file"):
        load_dataset("bioasq", path, tmp_path)


def test_sample_is_fixed_by_seed() -> None:
    items = [EvalItem(qid=str(n), question="q") for n in range(50)]
    assert sample(items, 5, 1, shuffle=False) == items[:5]
    assert sample(items, 5, 1, shuffle=True) == sample(items, 5, 1, shuffle=True)
    assert sample(items, 5, 1, shuffle=True) != sample(items, 5, 2, shuffle=True)
    assert sample(items, None, 1, shuffle=True) == items
