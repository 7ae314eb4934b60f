"""GET /v1/models for chat front ends, and the reference list at the end of chat replies, in process."""

from __future__ import annotations

import asyncio
import json

import httpx2
import pytest
from fastapi.testclient import TestClient
from openai import AsyncOpenAI

from rag_service.domain.text import marker_numbers
from tests.corpora import SEPSIS_Q

pytestmark = pytest.mark.integration


def stream_text(api: TestClient, body: dict[str, object]) -> tuple[str, dict[str, object]]:
    res = api.post("/v1/chat/completions", json=body | {"stream": True})
    lines = [line.removeprefix("data: ") for line in res.text.strip().split("\n\n")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["choices"][0]["delta"] == {}
    return text, chunks[-1]["rag"]


def test_the_service_is_listed_as_a_model(api: TestClient) -> None:
    body = api.get("/v1/models").json()
    assert body["object"] == "list"
    [card] = body["data"]
    assert card["id"] == "clinical-rag" and card["object"] == "model"
    assert isinstance(card["created"], int) and card["owned_by"]
    assert api.get("/v1/models/clinical-rag").json() == card
    missing = api.get("/v1/models/gpt-4o")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


def test_a_chat_reply_ends_with_its_references(api: TestClient) -> None:
    messages = [{"role": "user", "content": SEPSIS_Q}]
    body = api.post("/v1/chat/completions", json={"messages": messages}).json()
    content, rag = body["choices"][0]["message"]["content"], body["rag"]
    answer, _, refs = content.partition("\n\nReferences:\n")
    assert answer == rag["answer"] and refs
    lines = refs.split("\n")
    by_number = {c["number"]: c for c in rag["citations"]}
    assert [int(line[1 : line.index("]")]) for line in lines] == sorted(set(marker_numbers(answer)))
    first = by_number[int(lines[0][1 : lines[0].index("]")])]
    assert lines[0].startswith(f"[{first['number']}] {first['title']}")

    streamed, _ = stream_text(api, {"messages": messages})
    assert streamed == content


def test_references_can_be_turned_off(api: TestClient) -> None:
    messages = [{"role": "user", "content": SEPSIS_Q}]
    body = api.post("/v1/chat/completions", json={"messages": messages, "references": False}).json()
    assert body["choices"][0]["message"]["content"] == body["rag"]["answer"]
    streamed, rag = stream_text(api, {"messages": messages, "references": False})
    assert streamed == rag["answer"] and "References:" not in streamed


def test_an_abstention_has_no_references(api: TestClient) -> None:
    messages = [{"role": "user", "content": "Which football club won the 1998 league?"}]
    body = api.post("/v1/chat/completions", json={"messages": messages}).json()
    assert body["rag"]["abstained"] and "References:" not in body["choices"][0]["message"]["content"]


def test_the_openai_sdk_lists_and_retrieves_the_model(api: TestClient) -> None:
    async def talk() -> tuple[list[str], str]:
        transport = httpx2.ASGITransport(app=api.app)
        http = httpx2.AsyncClient(transport=transport, base_url="http://testserver")
        async with AsyncOpenAI(base_url="http://testserver/v1", api_key="unused", http_client=http) as client:
            listed = [m.id async for m in client.models.list()]
            one = await client.models.retrieve("clinical-rag")
        return listed, one.id

    assert asyncio.run(talk()) == (["clinical-rag"], "clinical-rag")
