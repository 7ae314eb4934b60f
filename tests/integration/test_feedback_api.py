"""POST /v1/feedback in process, stored in the SQLite database under the data directory, exported by
``rag-feedback export`` and read back by rag-eval's own ``jsonl`` loader."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eval.suite.datasets import load_dataset
from rag_service.bootstrap import Components
from rag_service.feedback_cli import main as rag_feedback
from tests.corpora import SEPSIS_Q
from tests.helpers import run_main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def asked(api: TestClient) -> dict[str, Any]:
    res = api.post("/v1/ask", json={"question": SEPSIS_Q})
    assert res.status_code == 200 and not res.json()["abstained"], res.text
    body: dict[str, Any] = res.json()
    return body


def feedback_body(asked: dict[str, Any], **fields: object) -> dict[str, object]:
    return {
        "question": SEPSIS_Q,
        "answer": asked["answer"],
        "citations": asked["citations"],
        "provenance": asked["provenance"],
        **fields,
    }


def test_feedback_round_trip_to_an_evaluation_set(
    api: TestClient, asked: dict[str, Any], records_index: Components, tmp_path: Path
) -> None:
    cited = [c["doc_id"] for c in asked["citations"]]
    posts = {
        "helpful": feedback_body(asked, kind="answer", rating="helpful"),
        "not_helpful": feedback_body(asked, kind="answer", rating="not_helpful", comment="Too vague."),
        "citation": feedback_body(asked, kind="citation", citation=1, comment="Old edition."),
        "sentence": feedback_body(asked, kind="sentence", sentence=0),
    }
    ids: dict[str, str] = {}
    for label, body in posts.items():
        res = api.post("/v1/feedback", json=body)
        assert res.status_code == 201, res.text
        out = res.json()
        assert set(out) == {"id", "created_at"}
        assert datetime.fromisoformat(out["created_at"]).date() == datetime.now(UTC).date()
        ids[label] = out["id"]

    out_file = tmp_path / "feedback.jsonl"
    today = datetime.now(UTC).date().isoformat()
    data_dir = str(records_index.settings.data_dir)
    code, _, err = run_main(
        rag_feedback, "export", "--since", today, "--out", str(out_file), "--data-dir", data_dir
    )
    assert code == 0, err
    rows = {
        json.loads(line)["feedback"]["id"]: json.loads(line) for line in out_file.read_text().splitlines()
    }
    mine = {label: rows[i] for label, i in ids.items()}
    provenance = mine["helpful"]["feedback"]
    assert provenance["settings_hash"] == asked["provenance"]["settings_hash"]
    assert provenance["prompt_hash"] == asked["provenance"]["prompt_hash"]
    versions = {d["doc_id"]: d["version"] for d in asked["provenance"]["documents"]}
    assert {d["doc_id"]: d["version"] for d in provenance["documents"]} == versions
    assert mine["citation"]["feedback"]["wrong_doc_id"] == cited[0]
    assert cited[0] not in mine["citation"]["gold_doc_ids"]
    assert mine["sentence"]["feedback"]["sentence_text"]
    assert mine["not_helpful"]["feedback"]["comment"] == "Too vague."

    dataset = load_dataset("jsonl", out_file, tmp_path / "work", build_corpus=False)
    items = {item.qid: item for item in dataset.items}
    helpful = items[f"feedback-{ids['helpful']}"]
    assert helpful.question == SEPSIS_Q and helpful.gold_doc_ids == frozenset(cited)
    assert helpful.extra["group"] == "feedback: helpful"
    assert items[f"feedback-{ids['not_helpful']}"].extra["group"] == "feedback: not helpful"
    assert items[f"feedback-{ids['not_helpful']}"].gold_doc_ids == frozenset()
    assert items[f"feedback-{ids['citation']}"].extra["group"] == "feedback: wrong citation"
    assert items[f"feedback-{ids['sentence']}"].extra["group"] == "feedback: unsupported sentence"

    code, out, _ = run_main(rag_feedback, "export", "--since", "2999-01-01", "--data-dir", data_dir)
    assert code == 0 and out == ""


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "answer"}, None),
        ({"kind": "citation"}, None),
        ({"kind": "citation", "citation": 99}, None),
        ({"kind": "sentence"}, None),
        ({"kind": "answer", "rating": "great"}, "body.rating"),
        ({"kind": "praise", "rating": "helpful"}, "body.kind"),
        ({"kind": "answer", "rating": "helpful", "comment": "x" * 5001}, "body.comment"),
        ({"kind": "answer", "rating": "helpful", "question": ""}, "body.question"),
        ({"kind": "sentence", "sentence": -1}, "body.sentence"),
        ({"kind": "sentence", "sentence": False}, "body.sentence"),
        ({"kind": "citation", "citation": True}, "body.citation"),
    ],
)
def test_invalid_feedback_is_422_in_the_envelope(
    api: TestClient, asked: dict[str, Any], fields: dict[str, object], field: str | None
) -> None:
    res = api.post("/v1/feedback", json=feedback_body(asked, **fields))
    assert res.status_code == 422, res.text
    error = res.json()["error"]
    assert error["code"] == "invalid_request"
    if field is not None:
        assert field in {d["field"] for d in error["details"]}
    assert SEPSIS_Q not in res.text


def test_a_citation_needs_a_document_id(api: TestClient, asked: dict[str, Any]) -> None:
    body = feedback_body(asked, kind="answer", rating="helpful", citations=[{"number": 1}])
    assert api.post("/v1/feedback", json=body).status_code == 422
