"""Cited, verified answers over real retrieval: the extractive backend, verification rules and /v1/ask."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import IngestPipeline
from ingest.sources import discover
from rag_service.bootstrap import Components
from rag_service.domain.answers import Draft
from rag_service.domain.retrieval import Evidence
from rag_service.services.answering import AnswerService
from tests.conftest import rag_serve
from tests.integration.test_retrieval import RECORDS, SEPSIS_2021

pytestmark = pytest.mark.integration

SEPSIS_Q = "How much intravenous crystalloid fluid should adults with septic shock receive?"


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory, warm_embedder: object) -> Iterator[Components]:
    from rag_service.bootstrap import build_components
    from rag_service.settings import Settings

    root = tmp_path_factory.mktemp("ask")
    path = root / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    c = build_components(Settings(data_dir=root / "data"))
    c.embedder = warm_embedder  # type: ignore[assignment]
    c.open_index()
    files, missing = discover([path])
    IngestPipeline(c).run(files, missing=missing, prune=False)  # type: ignore[arg-type]
    yield c
    c.close()


class Scripted:
    """An answer backend that returns a fixed draft: a unit-style stand-in to exercise verification."""

    name = "scripted"
    model = "script"

    def __init__(self, write: Callable[[Sequence[Evidence]], str]) -> None:
        self._write = write

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        return Draft(text=self._write(evidence), backend=self.name, model=self.model)


def service(c: Components, backend: object | None = None) -> AnswerService:
    svc = c.answer_service(c.search_service())
    if backend is not None:
        svc._backend = backend  # type: ignore[assignment]  # swap only the drafting step
    return svc


def number_of(evidence: Sequence[Evidence], doc_id: str) -> int:
    return next(i for i, e in enumerate(evidence, start=1) if e.doc_id == doc_id)


def test_extractive_answer_quotes_and_cites_the_evidence(components: Components) -> None:
    answer = service(components).ask(SEPSIS_Q)
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


def test_unrelated_questions_abstain_with_a_reason(components: Components) -> None:
    off_topic = service(components).ask("Which football club won the 1998 league title?")
    assert off_topic.abstained and off_topic.abstention is not None
    assert off_topic.abstention.code == "out_of_scope" and off_topic.text == ""
    clinical = service(components).ask("What is the ibuprofen dose for migraine in children?")
    assert clinical.abstention is not None and clinical.abstention.code == "no_evidence"


def test_verification_catches_changed_numbers_negation_wrong_and_invalid_citations(
    components: Components,
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

    answer = service(components, Scripted(write)).ask(SEPSIS_Q)
    verdicts = [s.verdict for s in answer.sentences]
    assert verdicts[0] == "supported" and answer.sentences[0].score == 1.0
    assert verdicts[1] == "unsupported" and "50 ml/kg" in answer.sentences[1].reasons[0]
    assert verdicts[3] == "unsupported" and "negation" in answer.sentences[3].reasons[0]
    assert verdicts[4] != "supported"  # cited to the wrong passage
    assert verdicts[5] == "unsupported" and answer.sentences[5].reasons == ("no citation",)
    assert answer.invalid_citations_removed == 1
    # Most of it is unsupported: the service abstains rather than return it.
    assert answer.abstention is not None and answer.abstention.code == "insufficient_support"


def test_drop_policy_removes_unsupported_sentences(components: Components) -> None:
    def write(ev: Sequence[Evidence]) -> str:
        n = number_of(ev, "ssc-2021")
        sentences = SEPSIS_2021.split(". ")
        return f"{sentences[0]} [{n}]. {sentences[1]} [{n}] We suggest 90 mL/kg of crystalloid [{n}]."

    svc = service(components, Scripted(write))
    svc._s = svc._s.model_copy(update={"unsupported_policy": "drop"})
    answer = svc.ask(SEPSIS_Q)
    assert not answer.abstained and answer.dropped_sentences == 1
    assert "90 mL/kg" not in answer.text and len(answer.sentences) == 2
    assert answer.text.count("[1]") == 2 and len(answer.citations) == 1


def test_follow_up_is_searched_with_the_previous_turn(components: Components) -> None:
    answer = service(components).ask(
        "And when is norepinephrine started?", history=[("user", "How is septic shock managed in adults?")]
    )
    assert answer.query.startswith("How is septic shock managed in adults?")
    assert "local-sepsis" in {c.evidence.doc_id for c in answer.citations}


@pytest.fixture(scope="module")
def served(components: Components) -> Iterator[str]:
    with rag_serve({"RAG_DATA_DIR": str(components.settings.data_dir)}) as base:
        yield base


def sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_over_http_as_json_and_as_events(served: str) -> None:
    body = {"question": SEPSIS_Q}
    plain = httpx.post(f"{served}/v1/ask", json=body, timeout=60)
    assert plain.status_code == 200, plain.text
    res = plain.json()
    assert res["abstained"] is False and res["abstain_reason"] is None
    assert res["citations"][0]["number"] == 1 and res["citations"][0]["text"]
    assert {"title", "heading_path", "page", "organisation", "year", "doc_type", "pmid", "doi", "url"} <= set(
        res["citations"][0]
    )
    assert all(s["verdict"] == "supported" for s in res["sentences"])

    streamed = httpx.post(f"{served}/v1/ask", json=body | {"stream": True}, timeout=60)
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = sse(streamed.text)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-3:] == ["citations", "sentences", "done"]
    text = "".join(data["text"] for name, data in events if name == "delta")  # type: ignore[index]
    done = events[-1][1]
    assert isinstance(done, dict)
    assert text == done["answer"] == res["answer"]
    assert done["citations"] == res["citations"] == events[-3][1]


def test_ask_abstains_and_refuses_bad_input_over_http(served: str) -> None:
    off = httpx.post(f"{served}/v1/ask", json={"question": "Best pizza topping in Naples?", "stream": True})
    names = [n for n, _ in sse(off.text)]
    assert "abstain" in names and "delta" not in names
    for bad in (
        {"question": ""},
        {"question": "ok", "history": [{"role": "system", "content": "x"}]},
        {"question": "ok", "stream": "yes"},
        {"question": "ok", "filters": {"nope": 1}},
    ):
        res = httpx.post(f"{served}/v1/ask", json=bad)
        assert res.status_code == 422 and res.json()["error"]["code"] == "invalid_request", bad


def test_real_pdf_label_answers_cite_their_page(
    tmp_path: Path, make_components: Callable[..., Components]
) -> None:
    from tests.conftest import shared

    pdf = shared("pdfs", "fda_warfarin_highlights_2022.pdf")
    c = make_components()
    c.open_index()
    files, missing = discover([pdf])
    IngestPipeline(c).run(files, missing=missing, prune=False)  # type: ignore[arg-type]
    answer = service(c).ask("What are the contraindications of warfarin?")
    assert not answer.abstained, answer.abstention
    assert all(cit.evidence.page is not None for cit in answer.citations)
    assert all(s.verdict == "supported" for s in answer.sentences)


def test_sources_that_contradict_each_other_give_conflicting_evidence(
    make_components: Callable[..., Components], tmp_path: Path
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
    path = tmp_path / "aspirin.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    c = make_components()
    c.open_index()
    files, missing = discover([path])
    IngestPipeline(c).run(files, missing=missing, prune=False)  # type: ignore[arg-type]
    answer = service(c).ask("Is low-dose aspirin recommended for primary prevention in adults over 70?")
    assert answer.abstention is not None and answer.abstention.code == "conflicting_evidence"
    assert any("contradicted by evidence" in r for s in answer.sentences for r in s.reasons)
    assert {c.evidence.doc_id for c in answer.citations} >= {"aspirin-a", "aspirin-b"}
