"""The LLM judge: one request per answer, one verdict per sentence, the number check as a veto."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rag_service.services.judge import LlmJudgeScorer
from rag_service.services.prompts import DEFAULT_DIR, PromptSet
from rag_service.services.support import Claim

pytestmark = pytest.mark.unit

PASSAGE = "Give 30 mL/kg of crystalloid within 3 hours. Reassess often."


class ScriptedChat:
    """Replies with a fixed text and records what it was sent."""

    model = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.sent: list[Sequence[tuple[str, str]]] = []

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        self.sent.append(messages)
        return self.reply


def test_one_request_per_answer_and_the_number_veto() -> None:
    chat = ScriptedChat("1: SUPPORTED\n2: SUPPORTED\n3: partial")
    judge = LlmJudgeScorer(chat, PromptSet(DEFAULT_DIR))
    results = judge.score(
        [
            Claim("Give 30 mL/kg of crystalloid within 3 hours [1].", (PASSAGE,)),
            Claim("Give 60 mL/kg of crystalloid within 3 hours [1].", (PASSAGE,)),
            Claim("Uncited.", ()),
            Claim("Reassess the patient [1].", (PASSAGE,)),
        ]
    )
    assert len(chat.sent) == 1
    user = chat.sent[0][1][1]
    assert user.count("<passage number=") == 1 and "3. (passages 1) Reassess the patient." in user
    assert [r.score for r in results] == [1.0, 0.15, 0.0, 0.5]
    assert "60" in results[1].reasons[-1] and results[2].reasons == ("no cited evidence",)
    assert judge.version.startswith("scripted@")


def test_a_reply_without_a_verdict_for_a_sentence_counts_as_unsupported() -> None:
    judge = LlmJudgeScorer(ScriptedChat("I think they are fine."), PromptSet(DEFAULT_DIR))
    (result,) = judge.score([Claim("Reassess often [1].", (PASSAGE,))])
    assert result.score == 0.0 and result.reasons == ("the judge model gave no verdict",)
