"""privacy.redaction over the real app: 'strict' refuses identifiers with 422, 'on' redacts what the LLM gets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag_service.api.deps import get_answers
from rag_service.bootstrap import Components, build_components
from rag_service.services.answering import AnswerService
from rag_service.settings import Settings
from tests import fake_llm as scripted_llm
from tests.corpora import SEPSIS_Q

pytestmark = pytest.mark.integration


def _answers(records_index: Components, fake_llm: str, redaction: str) -> AnswerService:
    settings = Settings(
        data_dir=records_index.settings.data_dir,
        answer={"backend": "openai"},
        llm={"base_url": fake_llm, "model": "scripted", "timeout_s": 1.5, "max_retries": 0},
        privacy={"redaction": redaction},
    )
    c = build_components(settings)
    for part in ("embedder", "catalog", "store", "lexical", "index", "view", "reranker"):
        setattr(c, part, getattr(records_index, part))
    return c.answer_service(c.search_service())


@pytest.fixture
def with_answers(api: TestClient) -> Iterator[tuple[TestClient, list[AnswerService]]]:
    """The in-process app; the test puts the answering service to use in the list."""
    chosen: list[AnswerService] = []
    app = cast(FastAPI, api.app)
    app.dependency_overrides[get_answers] = lambda: chosen[0]
    try:
        yield api, chosen
    finally:
        app.dependency_overrides.pop(get_answers, None)


def test_strict_refuses_identifiers_without_echoing_them(
    with_answers: tuple[TestClient, list[AnswerService]], records_index: Components, fake_llm: str
) -> None:
    api, chosen = with_answers
    chosen.append(_answers(records_index, fake_llm, "strict"))
    res = api.post(
        "/v1/ask", json={"question": "Which vasopressor for Mrs Evelyn Tran, MRN 00482913, in septic shock?"}
    )
    assert res.status_code == 422
    error = res.json()["error"]
    assert error["code"] == "phi_detected"
    assert "NAME" in error["message"] and "MRN" in error["message"]
    assert "Evelyn" not in res.text and "00482913" not in res.text
    assert error["request_id"] == res.headers["x-request-id"]
    clean = api.post("/v1/ask", json={"question": "Which vasopressor is first line in septic shock?"})
    assert clean.status_code == 200


def test_on_sends_the_redacted_question_to_the_llm(
    with_answers: tuple[TestClient, list[AnswerService]], records_index: Components, fake_llm: str
) -> None:
    api, chosen = with_answers
    chosen.append(_answers(records_index, fake_llm, "on"))
    before = len(scripted_llm.calls)
    res = api.post(
        "/v1/ask",
        json={"question": f"{SEPSIS_Q} For Mr Harold Finch, born 02/11/1958."},
    )
    assert res.status_code == 200, res.text
    sent = " ".join(m["content"] for call in scripted_llm.calls[before:] for m in call["messages"])
    assert f"{SEPSIS_Q} For Mr [NAME], born [DATE]." in sent
    assert "Harold" not in sent and "1958" not in sent
