"""The OpenAPI schema states the limits the service enforces, and every refusal comes in the error envelope
without revealing where the service keeps its data. In process over the extractive backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag_service.bootstrap import Components
from tests.corpora import SEPSIS_Q

pytestmark = pytest.mark.integration


def _schema(api: TestClient, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = api.get("/openapi.json").json()["components"]["schemas"][name]
    return schema


def _envelope(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    error: dict[str, Any] = res.json()["error"]
    assert error["code"] and error["message"] and error["request_id"] == res.headers["x-request-id"]
    return error


def _fields(error: dict[str, Any]) -> list[str]:
    return [d["field"] for d in error.get("details", [])]


def test_the_schema_states_the_question_and_top_k_limits_the_service_enforces(
    api: TestClient, records_index: Components
) -> None:
    limits = records_index.settings.retrieval
    search, ask = _schema(api, "SearchBody")["properties"], _schema(api, "AskBody")["properties"]
    assert search["question"]["maxLength"] == ask["question"]["maxLength"] == limits.max_question_chars
    assert search["top_k"]["maximum"] == limits.max_top_k
    for path in ("/v1/search", "/v1/ask"):
        at_limit = api.post(path, json={"question": SEPSIS_Q.ljust(limits.max_question_chars, "?")})
        assert at_limit.status_code == 200, at_limit.text
        over = api.post(path, json={"question": "x" * (limits.max_question_chars + 1)})
        assert _fields(_envelope(over, 422)) == ["body.question"]
    assert api.post("/v1/search", json={"question": SEPSIS_Q, "top_k": limits.max_top_k}).status_code == 200
    over_k = api.post("/v1/search", json={"question": SEPSIS_Q, "top_k": limits.max_top_k + 1})
    assert _fields(_envelope(over_k, 422)) == ["body.top_k"]


def test_a_history_turn_has_its_own_documented_limit_and_error(api: TestClient) -> None:
    limit = _schema(api, "Turn")["properties"]["content"]["maxLength"]
    assert limit == 2000
    long_turn = {"role": "user", "content": "septic shock fluids " * (limit // 20)}
    assert len(long_turn["content"]) == limit
    history = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}, long_turn]
    # A turn at the limit still allows a follow-up (the combined query must not blame the question)...
    ok = api.post("/v1/ask", json={"question": "And which vasopressor comes first?", "history": history})
    assert ok.status_code == 200, ok.text
    # ...and one past it is refused naming the turn, not the question.
    history[2] = {"role": "user", "content": long_turn["content"] + "x"}
    res = api.post("/v1/ask", json={"question": "And which vasopressor?", "history": history})
    assert _fields(_envelope(res, 422)) == ["body.history.2.content"]
    chat = [*history, {"role": "user", "content": "And which vasopressor?"}]
    res = api.post("/v1/chat/completions", json={"messages": chat})
    assert _fields(_envelope(res, 422)) == ["body.messages.2.content"]


def test_malformed_json_gets_422_in_the_envelope(api: TestClient) -> None:
    for raw in (b'{"question": ', b"\xff\xfe{}"):
        res = api.post("/v1/search", content=raw, headers={"content-type": "application/json"})
        error = _envelope(res, 422)
        assert error["code"] == "invalid_request" and _fields(error) == ["body"]


def test_405_says_which_methods_are_allowed(api: TestClient) -> None:
    res = api.put("/v1/ask", json={})
    assert _envelope(res, 405)["code"] == "method_not_allowed"
    assert res.headers["allow"] == "POST"
    assert "GET" in api.delete("/v1/models").headers["allow"].split(", ")
    # One route per method at these paths: Allow names them all, not just the first route's.
    assert api.put("/v1/documents").headers["allow"] == "GET, POST"
    assert api.post("/v1/documents/some-doc").headers["allow"] == "DELETE, GET"


def test_chat_accepts_list_form_text_content_and_refuses_other_parts(api: TestClient) -> None:
    half = len(SEPSIS_Q) // 2
    parts = [{"type": "text", "text": SEPSIS_Q[:half]}, {"type": "text", "text": SEPSIS_Q[half:]}]
    res = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": parts}]})
    assert res.status_code == 200, res.text
    assert "[1]" in res.json()["choices"][0]["message"]["content"]
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    res = api.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": [parts[0], image]}]}
    )
    error = _envelope(res, 422)
    assert _fields(error) == ["body.messages.0.content"]
    assert "'image_url'" in error["details"][0]["problem"] and "text" in error["details"][0]["problem"]
    content = _schema(api, "ChatMessage")["properties"]["content"]
    assert {branch["type"] for branch in content["anyOf"]} == {"string", "array"}


def test_no_error_body_reveals_the_data_directory(api: TestClient, records_index: Components) -> None:
    data_dir = Path(records_index.settings.data_dir)
    doc_id = api.get("/v1/documents").json()["items"][0]["doc_id"]
    with records_index.writer_lock():
        busy = api.delete(f"/v1/documents/{doc_id}")
    bodies = [
        _envelope(busy, 409),
        _envelope(api.get("/v1/documents/no-such-doc"), 404),
        _envelope(api.post("/v1/search", json={"question": "\x00?"}), 422),
        _envelope(api.post("/v1/search", content=b"{", headers={"content-type": "application/json"}), 422),
        _envelope(api.get("/v1/nowhere"), 404),
    ]
    for body in bodies:
        text = str(body)
        assert str(data_dir) not in text and str(data_dir.resolve()) not in text, text
    assert "data directory" in bodies[0]["message"]
