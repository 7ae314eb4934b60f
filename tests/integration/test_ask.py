"""Cited, verified answers over real retrieval: the extractive backend, verification rules and /v1/ask."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag_service.bootstrap import Components
from rag_service.domain.answers import Draft
from rag_service.domain.protocols import AnswerBackend
from rag_service.domain.retrieval import Evidence
from rag_service.services.answering import AnswerService
from tests.corpora import SEPSIS_2021, SEPSIS_Q
from tests.helpers import MakeComponents, ingest, shared, write_jsonl

pytestmark = pytest.mark.integration


class Scripted:
    """An answer backend that returns a fixed draft: a unit-style stand-in to exercise verification."""

    name = "scripted"
    model = "script"

    def __init__(self, write: Callable[[Sequence[Evidence]], str]) -> None:
        self._write = write

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        return Draft(text=self._write(evidence), backend=self.name, model=self.model)


def service(c: Components, backend: AnswerBackend | None = None, **answer: object) -> AnswerService:
    """The configured answer service, with other answer settings, or drafting with ``backend`` instead."""
    if answer:
        c = dataclasses.replace(
            c, settings=c.settings.model_copy(update={"answer": c.settings.answer.model_copy(update=answer)})
        )
    if backend is None:
        return c.answer_service(c.search_service())
    identity = {"settings_hash": c.settings.fingerprint(), "embedding_model": c.embedder.model_id}
    return AnswerService(
        c.settings.answer,
        c.search_service(),
        backend,
        c.support_scorer(),
        c.lexical,
        c.document_versions,
        identity,
        analyzer=c.analyzer,
        prompt=("scripted", "none"),
    )


def number_of(evidence: Sequence[Evidence], doc_id: str) -> int:
    return next(i for i, e in enumerate(evidence, start=1) if e.doc_id == doc_id)


def test_extractive_answer_quotes_and_cites_the_evidence(records_index: Components) -> None:
    answer = service(records_index).ask(SEPSIS_Q)
    assert not answer.abstained, answer.abstention
    assert "30 mL/kg" in answer.text and "[1]" in answer.text
    assert answer.sentences and all(s.verdict == "supported" for s in answer.sentences)
    by_number = {c.number: c.evidence for c in answer.citations}
    assert sorted(by_number) == list(range(1, len(by_number) + 1))
    for s in answer.sentences:
        assert s.citations and all(s.text.rstrip(".") in by_number[n].text for n in s.citations)
    assert "ssc-2016" not in {c.evidence.doc_id for c in answer.citations}  # superseded edition
    p = answer.provenance
    for key in (
        "settings_hash",
        "prompt_id",
        "prompt_hash",
        "answer_backend",
        "embedding_model",
        "collection",
    ):
        assert p[key]
    docs = {d["doc_id"]: d for d in p["documents"]}  # type: ignore[attr-defined]
    assert docs["ssc-2021"]["version"] == "2021" and docs["ssc-2021"]["content_hash"]


def test_unrelated_questions_abstain_with_a_reason(records_index: Components) -> None:
    off_topic = service(records_index).ask("Which football club won the 1998 league title?")
    assert off_topic.abstained and off_topic.abstention is not None
    assert off_topic.abstention.code == "out_of_scope" and off_topic.text == ""
    clinical = service(records_index).ask("What is the ibuprofen dose for migraine in children?")
    assert clinical.abstention is not None and clinical.abstention.code == "no_evidence"


def test_verification_catches_changed_numbers_negation_wrong_and_invalid_citations(
    records_index: Components,
) -> None:
    def write(ev: Sequence[Evidence]) -> str:
        n = number_of(ev, "ssc-2021")
        other = next(i for i, e in enumerate(ev, start=1) if e.doc_id != "ssc-2021")
        return (
            f"{SEPSIS_2021.split('. ')[0]} [{n}]. "  # true and verbatim
            f"We suggest 50 mL/kg of intravenous crystalloid fluid within the first 3 hours [{n}]. "
            f"Use normal saline rather than balanced crystalloids [{n}]. "
            f"Balanced crystalloids should not be used rather than normal saline [{n}]. "
            f"We suggest 30 mL/kg of crystalloid within 3 hours [{other}]. "
            f"Antibiotics are given within one hour [9]."
        )

    answer = service(records_index, Scripted(write)).ask(SEPSIS_Q)
    verdicts = [s.verdict for s in answer.sentences]
    assert verdicts[0] == "supported" and answer.sentences[0].score == 1.0
    assert verdicts[1] == "unsupported" and "50 ml/kg" in answer.sentences[1].reasons[0]
    assert verdicts[3] == "unsupported" and "negation" in answer.sentences[3].reasons[0]
    assert verdicts[4] != "supported"  # cited to the wrong passage
    assert verdicts[5] == "unsupported" and answer.sentences[5].reasons == ("no citation",)
    assert answer.invalid_citations_removed == 1
    # Most of it is unsupported: the service abstains rather than return it.
    assert answer.abstention is not None and answer.abstention.code == "insufficient_support"


def test_drop_policy_removes_unsupported_sentences(records_index: Components) -> None:
    def write(ev: Sequence[Evidence]) -> str:
        n = number_of(ev, "ssc-2021")
        sentences = SEPSIS_2021.split(". ")
        return f"{sentences[0]} [{n}]. {sentences[1]} [{n}] We suggest 90 mL/kg of crystalloid [{n}]."

    answer = service(records_index, Scripted(write), unsupported_policy="drop").ask(SEPSIS_Q)
    assert not answer.abstained and answer.dropped_sentences == 1
    assert "90 mL/kg" not in answer.text and len(answer.sentences) == 2
    assert answer.text.count("[1]") == 2 and len(answer.citations) == 1


def test_follow_up_is_searched_with_the_previous_turn(records_index: Components) -> None:
    answer = service(records_index).ask(
        "And when is norepinephrine started?", history=[("user", "How is septic shock managed in adults?")]
    )
    assert answer.query.startswith("How is septic shock managed in adults?")
    assert "local-sepsis" in {c.evidence.doc_id for c in answer.citations}


def sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_over_http_as_json_and_as_events(api: TestClient) -> None:
    body = {"question": SEPSIS_Q}
    plain = api.post("/v1/ask", json=body)
    assert plain.status_code == 200, plain.text
    res = plain.json()
    assert res["abstained"] is False and res["abstain_reason"] is None
    assert res["citations"][0]["number"] == 1 and res["citations"][0]["text"]
    assert {"title", "heading_path", "page", "organisation", "year", "doc_type", "pmid", "doi", "url"} <= set(
        res["citations"][0]
    )
    assert all(s["verdict"] == "supported" for s in res["sentences"])

    streamed = api.post("/v1/ask", json=body | {"stream": True})
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = sse(streamed.text)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-3:] == ["citations", "sentences", "done"]
    text = "".join(data["text"] for name, data in events if name == "delta")  # type: ignore[index]
    done = events[-1][1]
    assert isinstance(done, dict)
    assert text == done["answer"] == res["answer"]
    assert done["citations"] == res["citations"] == events[-3][1]


def test_ask_states_the_currency_of_its_citations_over_http(api: TestClient) -> None:
    res = api.post("/v1/ask", json={"question": SEPSIS_Q}).json()
    years = [c["year"] for c in res["citations"]]
    dated = [y for y in years if y is not None]
    assert dated, years  # the sepsis guidelines carry their years
    currency = res["currency"]
    assert (currency["newest_year"], currency["oldest_year"]) == (max(dated), min(dated))
    assert currency["stale_after_years"] == 10 and currency["undated_citations"] == len(years) - len(dated)
    if not currency["undated_citations"]:
        assert currency["stale"] is (date.today().year - max(dated) > 10)
    events = dict(sse(api.post("/v1/ask", json={"question": SEPSIS_Q, "stream": True}).text))
    assert events["meta"]["currency"] == events["done"]["currency"] == currency  # type: ignore[index]
    chat = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": SEPSIS_Q}]}).json()
    assert chat["rag"]["currency"] == currency
    off = api.post("/v1/ask", json={"question": "Best pizza topping in Naples?"}).json()
    assert off["abstained"] and off["currency"] is None


def test_evidence_older_than_the_limit_is_flagged_not_abstained(records_index: Components) -> None:
    answer = service(records_index, stale_after_years=1).ask(SEPSIS_Q)
    assert not answer.abstained and answer.currency is not None
    newest = answer.currency.newest_year
    assert newest is not None and answer.currency.stale is (date.today().year - newest > 1)


def test_ask_abstains_and_refuses_bad_input_over_http(api: TestClient) -> None:
    off = api.post("/v1/ask", json={"question": "Best pizza topping in Naples?", "stream": True})
    names = [n for n, _ in sse(off.text)]
    assert "abstain" in names and "delta" not in names
    for bad in (
        {"question": ""},
        {"question": "ok", "history": [{"role": "system", "content": "x"}]},
        {"question": "ok", "stream": "yes"},
        {"question": "ok", "filters": {"nope": 1}},
    ):
        res = api.post("/v1/ask", json=bad)
        assert res.status_code == 422 and res.json()["error"]["code"] == "invalid_request", bad


def test_real_pdf_label_answers_cite_their_page(tmp_path: Path, make_components: MakeComponents) -> None:
    pdf = shared("pdfs", "fda_warfarin_highlights_2022.pdf")
    c = make_components()
    c.open_index()
    ingest(c, pdf)
    answer = service(c).ask("What are the contraindications of warfarin?")
    assert not answer.abstained, answer.abstention
    assert all(cit.evidence.page is not None for cit in answer.citations)
    assert all(s.verdict == "supported" for s in answer.sentences)


def test_sources_that_contradict_each_other_give_conflicting_evidence(
    make_components: MakeComponents, tmp_path: Path
) -> None:
    records = [
        {
            "id": "aspirin-a",
            "title": "Aspirin for primary prevention",
            "doc_type": "guideline",
            "organisation": "Board A",
            "text": "Low-dose aspirin is recommended for primary prevention of cardiovascular disease in adults "
            "over 70. It lowers the rate of myocardial infarction.",
        },
        {
            "id": "aspirin-b",
            "title": "Aspirin in older adults",
            "doc_type": "guideline",
            "organisation": "Board B",
            "text": "Low-dose aspirin is not recommended for primary prevention of cardiovascular disease in "
            "adults over 70. Bleeding risk outweighs the benefit.",
        },
    ]
    c = make_components()
    c.open_index()
    ingest(c, write_jsonl(tmp_path / "aspirin.jsonl", records))
    answer = service(c).ask("Is low-dose aspirin recommended for primary prevention in adults over 70?")
    assert answer.abstention is not None and answer.abstention.code == "conflicting_evidence"
    assert any("contradicted by evidence" in r for s in answer.sentences for r in s.reasons)
    assert {c.evidence.doc_id for c in answer.citations} >= {"aspirin-a", "aspirin-b"}
