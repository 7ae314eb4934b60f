"""The OpenAI-compatible chat format and the OpenAPI document, in process over the extractive backend.

The official openai client against the same endpoint is in test_llm_answers.py.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.corpora import SEPSIS_Q

pytestmark = pytest.mark.integration


def test_a_chat_completion_has_the_openai_shape_and_the_rag_result(api: TestClient) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": SEPSIS_Q}]
    res = api.post("/v1/chat/completions", json={"model": "m", "messages": messages, "temperature": 0.2})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["object"] == "chat.completion" and body["model"] == "m" and body["id"].startswith("chatcmpl-")
    [choice] = body["choices"]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    answer, _, references = choice["message"]["content"].partition("\n\nReferences:\n")
    assert answer == body["rag"]["answer"] and "[1]" in answer and references.startswith("[1] ")
    assert body["rag"]["citations"][0]["number"] == 1


def test_a_streamed_chat_completion_ends_with_everything_and_done(api: TestClient) -> None:
    body = {"messages": [{"role": "user", "content": SEPSIS_Q}], "stream": True}
    res = api.post("/v1/chat/completions", json=body)
    assert res.headers["content-type"].startswith("text/event-stream")
    lines = [line.removeprefix("data: ") for line in res.text.strip().split("\n\n")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and text.startswith(last["rag"]["answer"] + "\n\n")


def test_a_chat_must_end_with_the_users_question(api: TestClient) -> None:
    for messages in (
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
        [{"role": "system", "content": "Only a system message."}],
        [],
        [{"role": "tool", "content": "x"}],
    ):
        res = api.post("/v1/chat/completions", json={"messages": messages})
        assert res.status_code == 422 and res.json()["error"]["code"] == "invalid_request", messages


def test_every_api_operation_documents_the_error_envelope(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    envelope = "#/components/schemas/ErrorEnvelope"
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    v1 = [(p, m, op) for p, m, op in operations if p.startswith("/v1/")]
    assert {(p, m) for p, m, _ in v1} >= {
        ("/v1/search", "post"),
        ("/v1/ask", "post"),
        ("/v1/chat/completions", "post"),
        ("/v1/documents", "get"),
        ("/v1/documents/{doc_id}", "get"),
        ("/v1/documents/{doc_id}", "delete"),
    }
    for path, method, op in v1:
        for status in ("422", "503"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema["$ref"] == envelope, (path, method, status)
        assert op.get("description") or op.get("summary"), (path, method)
    assert "409" in spec["paths"]["/v1/documents/{doc_id}"]["delete"]["responses"]
