"""The LLM backend end to end against the scripted OpenAI-compatible server on loopback, and the
OpenAI-compatible endpoint driven by the official openai client (in process, through the test client)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from rag_service.bootstrap import Components
from rag_service.domain.answers import Answer
from rag_service.domain.errors import LlmTimeoutError, LlmUnavailableError
from tests import fake_llm as scripted_llm
from tests.corpora import SEPSIS_Q

pytestmark = pytest.mark.integration


def ask(c: Components, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
    return c.answer_service(c.search_service()).ask(question, history=history or [])


def test_llm_answer_is_parsed_verified_and_attributed(llm_components: Components) -> None:
    answer = ask(llm_components, f"SCENARIO-good {SEPSIS_Q}")
    assert not answer.abstained, answer.abstention
    assert [s.verdict for s in answer.sentences] == ["supported", "supported"]
    assert answer.provenance["answer_backend"] == "openai" and answer.provenance["answer_model"] == "scripted"
    assert answer.provenance["prompt_id"] == "answer" and len(str(answer.provenance["prompt_hash"])) == 16


def test_out_of_range_citation_is_removed_and_counted(llm_components: Components) -> None:
    answer = ask(llm_components, f"SCENARIO-outofrange {SEPSIS_Q}")
    assert answer.invalid_citations_removed == 1 and "[9]" not in answer.text
    assert all(max(s.citations) <= len(answer.citations) for s in answer.sentences)


def test_hallucinated_number_is_flagged(llm_components: Components) -> None:
    answer = ask(llm_components, f"SCENARIO-number {SEPSIS_Q}")
    first = answer.sentences[0]
    assert first.verdict == "unsupported" and "numbers" in first.reasons[0]
    assert [s.verdict for s in answer.sentences[1:]] == ["supported", "supported"]


def test_malformed_citations_lead_to_abstention(llm_components: Components) -> None:
    answer = ask(llm_components, f"SCENARIO-malformed {SEPSIS_Q}")
    assert answer.abstention is not None and answer.abstention.code == "insufficient_support"
    assert all(s.reasons == ("no citation",) for s in answer.sentences)


def test_sentinel_means_insufficient_evidence(llm_components: Components) -> None:
    answer = ask(llm_components, f"SCENARIO-insufficient {SEPSIS_Q}")
    assert answer.abstention is not None and answer.abstention.code == "insufficient_support"


def test_no_evidence_abstains_without_calling_the_llm(llm_components: Components) -> None:
    before = len(scripted_llm.calls)
    answer = ask(llm_components, "Which football club won the 1998 league title?")
    assert answer.abstention is not None and answer.abstention.code == "out_of_scope"
    assert len(scripted_llm.calls) == before


def test_follow_up_is_rewritten_by_the_llm(llm_components: Components) -> None:
    answer = ask(
        llm_components, "SCENARIO-good and which one comes first?", history=[("user", "septic shock drugs")]
    )
    assert answer.query == "Which vasopressor is started for adults in septic shock?"


def test_timeouts_and_server_errors_raise_clear_errors(llm_components: Components) -> None:
    with pytest.raises(LlmTimeoutError):
        ask(llm_components, f"SCENARIO-timeout {SEPSIS_Q}")
    with pytest.raises(LlmUnavailableError, match="HTTP 500"):
        ask(llm_components, f"SCENARIO-500 {SEPSIS_Q}")


def test_fallback_to_extractive_is_recorded(llm_components: Components) -> None:
    answer_settings = llm_components.settings.answer.model_copy(update={"fallback_to_extractive": True})
    falls_back = dataclasses.replace(
        llm_components, settings=llm_components.settings.model_copy(update={"answer": answer_settings})
    )
    answer = ask(falls_back, f"SCENARIO-500 {SEPSIS_Q}")
    assert not answer.abstained
    assert answer.provenance["answer_backend"] == "extractive"
    assert answer.provenance["fallback_reason"] == "llm_unavailable"


def test_llm_failures_are_502_and_504_in_the_envelope(llm_api: TestClient) -> None:
    slow = llm_api.post("/v1/ask", json={"question": f"SCENARIO-timeout {SEPSIS_Q}"})
    assert slow.status_code == 504 and slow.json()["error"]["code"] == "llm_timeout"
    broken = llm_api.post("/v1/ask", json={"question": f"SCENARIO-500 {SEPSIS_Q}"})
    assert broken.status_code == 502 and broken.json()["error"]["code"] == "llm_unavailable"
    assert "Traceback" not in broken.text
    assert llm_api.get("/healthz").status_code == 200


def openai_client(api: TestClient) -> AsyncOpenAI:
    """The official async client with the in-process app (its lifespan already run) as HTTP transport."""
    transport = httpx2.ASGITransport(app=api.app)
    http = httpx2.AsyncClient(transport=transport, base_url="http://testserver")
    return AsyncOpenAI(base_url="http://testserver/v1", api_key="unused", http_client=http)


def test_openai_client_uses_the_service_as_a_model(llm_api: TestClient) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": f"SCENARIO-good {SEPSIS_Q}"}]

    async def talk() -> tuple[ChatCompletion, str, dict[str, Any]]:
        async with openai_client(llm_api) as client:
            reply = await client.chat.completions.create(model="clinical-rag", messages=messages)
            stream = await client.chat.completions.create(
                model="clinical-rag", messages=messages, stream=True
            )
            text, last_extra = "", dict[str, Any]()
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
                last_extra = chunk.model_extra or last_extra
        return reply, text, last_extra

    reply, text, last_extra = asyncio.run(talk())
    content = reply.choices[0].message.content or ""
    rag = (reply.model_extra or {})["rag"]
    assert "[1]" in content and content.startswith(rag["answer"] + "\n\nReferences:\n[1] ")
    assert rag["citations"][0]["number"] == 1 and rag["sentences"][0]["verdict"] == "supported"
    assert text == content
    assert json.dumps(last_extra["rag"]["citations"]) == json.dumps(rag["citations"])


def test_openai_client_sees_abstention_as_the_reply(llm_api: TestClient) -> None:
    async def talk() -> ChatCompletion:
        async with openai_client(llm_api) as client:
            return await client.chat.completions.create(
                model="clinical-rag",
                messages=[{"role": "user", "content": "Which football club won the 1998 league?"}],
            )

    reply = asyncio.run(talk())
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
