"""Citation support judged by an LLM (any OpenAI-compatible server), one call per sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.domain.answers import SupportResult
from rag_service.domain.protocols import ChatModel, SupportClaim
from rag_service.services.prompts import PromptSet
from rag_service.services.support import strip_markers

_VERDICT = re.compile(r"\b(UNSUPPORTED|PARTIAL|SUPPORTED)\b", re.IGNORECASE)
_SCORES = {"SUPPORTED": 1.0, "PARTIAL": 0.5, "UNSUPPORTED": 0.0}
JUDGE_PROMPTS = ("judge.system", "judge.user")


class LlmJudgeScorer:
    """Asks the chat model for SUPPORTED / PARTIAL / UNSUPPORTED; an unreadable reply counts as unsupported."""

    name = "llm_judge"

    def __init__(self, chat: ChatModel, prompts: PromptSet) -> None:
        self._chat = chat
        self._prompts = prompts

    def score(self, claims: Sequence[SupportClaim]) -> list[SupportResult]:
        """One judgement per claim."""
        out: list[SupportResult] = []
        for claim in claims:
            if not claim.passages:
                out.append(SupportResult(0.0, None, ("no cited evidence",)))
                continue
            messages = [
                ("system", self._prompts.render("judge.system")),
                (
                    "user",
                    self._prompts.render(
                        "judge.user",
                        evidence="\n\n".join(claim.passages),
                        statement=strip_markers(claim.text),
                    ),
                ),
            ]
            found = _VERDICT.search(self._chat.complete(messages))
            verdict = found.group(1).upper() if found else "UNSUPPORTED"
            reasons = () if verdict == "SUPPORTED" else (f"the judge model said {verdict.lower()}",)
            out.append(SupportResult(_SCORES[verdict], None, reasons))
        return out
