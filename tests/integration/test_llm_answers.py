"""The LLM backend end to end against a scripted OpenAI-compatible server on loopback, and the
OpenAI-compatible endpoint driven by the official openai client."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag_service.bootstrap import Components, build_components
from rag_service.domain.errors import LlmTimeoutError, LlmUnavailableError
from rag_service.settings import Settings
from tests.conftest import REPO, free_port, rag_serve, wait_http
from tests.integration.test_ask import SEPSIS_Q
from tests.integration.test_ask import components as base_components  # noqa: F401 - module fixture reused

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_llm", "--port", str(port)], cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/calls", proc=proc)
        yield f"{base}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def llm_env(url: str) -> dict[str, str]:
    return {
        "RAG_ANSWER__BACKEND": "openai",
        "RAG_LLM__BASE_URL": url,
        "RAG_LLM__MODEL": "scripted",
        "RAG_LLM__TIMEOUT_S": "1.5",
        "RAG_LLM__MAX_RETRIES": "0",
    }


@pytest.fixture(scope="module")
def llm(base_components: Components, fake_llm: str) -> Iterator[Components]:  # noqa: F811 - the fixture
    settings = Settings(
        data_dir=base_components.settings.data_dir,
        answer={"backend": "openai"},  # type: ignore[arg-type]
        llm={"base_url": fake_llm, "model": "scripted", "timeout_s": 1.5, "max_retries": 0},  # type: ignore[arg-type]
    )
    c = build_components(settings)
    c.embedder = base_components.embedder
    c.catalog = base_components.catalog
    c.store = base_components.store
    c.lexical = base_components.lexical
    c.index = base_components.index
    c.view = base_components.view
    c.reranker = base_components.reranker
    yield c


def ask(c: Components, question: str, **kw: object):  # type: ignore[no-untyped-def]
    return c.answer_service(c.search_service()).ask(question, **kw)  # type: ignore[arg-type]


def test_llm_answer_is_parsed_verified_and_attributed(llm: Components) -> None:
    answer = ask(llm, f"SCENARIO-good {SEPSIS_Q}")
    assert not answer.abstained, answer.abstention
    assert [s.verdict for s in answer.sentences] == ["supported", "supported"]
    assert answer.provenance["answer_backend"] == "openai" and answer.provenance["answer_model"] == "scripted"
    assert answer.provenance["prompt_id"] == "answer" and len(str(answer.provenance["prompt_hash"])) == 16


def test_out_of_range_citation_is_removed_and_counted(llm: Components) -> None:
    answer = ask(llm, f"SCENARIO-outofrange {SEPSIS_Q}")
    assert answer.invalid_citations_removed == 1 and "[9]" not in answer.text
    assert all(max(s.citations) <= len(answer.citations) for s in answer.sentences)


def test_hallucinated_number_is_flagged(llm: Components) -> None:
    answer = ask(llm, f"SCENARIO-number {SEPSIS_Q}")
    first = answer.sentences[0]
    assert first.verdict == "unsupported" and "numbers" in first.reasons[0]
    assert [s.verdict for s in answer.sentences[1:]] == ["supported", "supported"]


def test_malformed_citations_lead_to_abstention(llm: Components) -> None:
    answer = ask(llm, f"SCENARIO-malformed {SEPSIS_Q}")
    assert answer.abstention is not None and answer.abstention.code == "insufficient_support"
    assert all(s.reasons == ("no citation",) for s in answer.sentences)


def test_sentinel_means_insufficient_evidence(llm: Components) -> None:
    answer = ask(llm, f"SCENARIO-insufficient {SEPSIS_Q}")
    assert answer.abstention is not None and answer.abstention.code == "insufficient_support"


def test_no_evidence_abstains_without_calling_the_llm(llm: Components, fake_llm: str) -> None:
    before = len(httpx.get(fake_llm.removesuffix("/v1") + "/calls").json())
    answer = ask(llm, "Which football club won the 1998 league title?")
    assert answer.abstention is not None and answer.abstention.code == "out_of_scope"
    assert len(httpx.get(fake_llm.removesuffix("/v1") + "/calls").json()) == before


def test_follow_up_is_rewritten_by_the_llm(llm: Components) -> None:
    answer = ask(llm, "SCENARIO-good and which one comes first?", history=[("user", "septic shock drugs")])
    assert answer.query == "Which vasopressor is started for adults in septic shock?"


def test_timeouts_and_server_errors_raise_clear_errors(llm: Components) -> None:
    with pytest.raises(LlmTimeoutError):
        ask(llm, f"SCENARIO-timeout {SEPSIS_Q}")
    with pytest.raises(LlmUnavailableError, match="HTTP 500"):
        ask(llm, f"SCENARIO-500 {SEPSIS_Q}")


def test_fallback_to_extractive_is_recorded(llm: Components) -> None:
    llm.settings = llm.settings.model_copy(
        update={"answer": llm.settings.answer.model_copy(update={"fallback_to_extractive": True})}
    )
    try:
        answer = ask(llm, f"SCENARIO-500 {SEPSIS_Q}")
    finally:
        llm.settings = llm.settings.model_copy(
            update={"answer": llm.settings.answer.model_copy(update={"fallback_to_extractive": False})}
        )
    assert not answer.abstained
    assert answer.provenance["answer_backend"] == "extractive"
    assert answer.provenance["fallback_reason"] == "llm_unavailable"


@pytest.fixture(scope="module")
def served(base_components: Components, fake_llm: str) -> Iterator[str]:  # noqa: F811 - the fixture
    with rag_serve({"RAG_DATA_DIR": str(base_components.settings.data_dir), **llm_env(fake_llm)}) as base:
        yield base


def test_llm_failures_are_502_and_504_in_the_envelope(served: str) -> None:
    slow = httpx.post(f"{served}/v1/ask", json={"question": f"SCENARIO-timeout {SEPSIS_Q}"}, timeout=30)
    assert slow.status_code == 504 and slow.json()["error"]["code"] == "llm_timeout"
    broken = httpx.post(f"{served}/v1/ask", json={"question": f"SCENARIO-500 {SEPSIS_Q}"}, timeout=30)
    assert broken.status_code == 502 and broken.json()["error"]["code"] == "llm_unavailable"
    assert "Traceback" not in broken.text
    assert httpx.get(f"{served}/healthz").status_code == 200


def test_openai_client_uses_the_service_as_a_model(served: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{served}/v1", api_key="unused")
    reply = client.chat.completions.create(
        model="clinical-rag", messages=[{"role": "user", "content": f"SCENARIO-good {SEPSIS_Q}"}]
    )
    content = reply.choices[0].message.content or ""
    rag = (reply.model_extra or {})["rag"]
    assert "[1]" in content and content == rag["answer"]
    assert rag["citations"][0]["number"] == 1 and rag["sentences"][0]["verdict"] == "supported"

    stream = client.chat.completions.create(
        model="clinical-rag", messages=[{"role": "user", "content": f"SCENARIO-good {SEPSIS_Q}"}], stream=True
    )
    text, last_extra = "", {}
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        last_extra = chunk.model_extra or last_extra
    assert text == content
    assert json.dumps(last_extra["rag"]["citations"]) == json.dumps(rag["citations"])


def test_openai_client_sees_abstention_as_the_reply(served: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{served}/v1", api_key="unused")
    reply = client.chat.completions.create(
        model="clinical-rag",
        messages=[{"role": "user", "content": "Which football club won the 1998 league?"}],
    )
    assert (reply.model_extra or {})["rag"]["abstain_reason"]["code"] == "out_of_scope"
    assert reply.choices[0].message.content == (reply.model_extra or {})["rag"]["abstain_reason"]["message"]


def test_llm_judge_scores_support(fake_llm: str) -> None:
    from rag_service.adapters.openai_chat import OpenAICompatibleChat
    from rag_service.services.judge import LlmJudgeScorer
    from rag_service.services.prompts import DEFAULT_DIR, PromptSet
    from rag_service.services.support import Claim
    from rag_service.settings import LlmSettings

    chat = OpenAICompatibleChat(LlmSettings(base_url=fake_llm, model="scripted", max_retries=0))
    judge = LlmJudgeScorer(chat, PromptSet(DEFAULT_DIR))
    passage = "Give 30 mL/kg of crystalloid within 3 hours. Reassess often."
    results = judge.score(
        [
            Claim("Give 30 mL/kg of crystalloid within 3 hours [1].", (passage,)),
            Claim("Give 60 mL/kg of crystalloid within 3 hours [1].", (passage,)),
            Claim("Give fluids.", ()),
        ]
    )
    assert [r.score for r in results] == [1.0, 0.0, 0.0]


def test_a_local_nli_model_directory_plugs_in_as_support_scorer(tmp_path: Path) -> None:
    """Plumbing of a user-supplied NLI cross-encoder (here MiniLM with an untrained 3-way head)."""
    from sentence_transformers import CrossEncoder

    from rag_service.adapters.embedder import resolve_model_dir
    from rag_service.adapters.nli_scorer import NliSupportScorer
    from rag_service.services.support import Claim
    from rag_service.settings import EmbeddingSettings

    model = CrossEncoder(str(resolve_model_dir(EmbeddingSettings())), num_labels=3, local_files_only=True)
    model.model.config.id2label = {0: "contradiction", 1: "entailment", 2: "neutral"}
    model.save(str(tmp_path / "nli"))
    scorer = NliSupportScorer(str(tmp_path / "nli"))
    results = scorer.score([Claim("Give 30 mL/kg [1].", ("Give 30 mL/kg of fluid.",)), Claim("x", ())])
    assert 0.0 <= results[0].score <= 1.0 and results[1].score == 0.0
