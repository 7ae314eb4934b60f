"""Citation support judged by an LLM (any OpenAI-compatible server): one call per answer, numbers vetoed.

All sentences of an answer go to the judge in one request, each naming the passages it cites, and the reply
gives one verdict per sentence. The number and unit check of the calibrated scorer still applies on top: a
sentence whose numbers the cited passages do not state is unsupported whatever the judge says, because a
language model reading quickly is most likely to pass exactly that error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.domain.answers import SupportResult
from rag_service.domain.protocols import ChatModel, SupportClaim
from rag_service.domain.text import strip_markers
from rag_service.services.claim_text import missing_coded_names, missing_quantities
from rag_service.services.prompts import PromptSet
from rag_service.services.support import CAP

_LINE = re.compile(
    r"^\s*(\d{1,3})\s*[:.)-]\s*\**\s*(UNSUPPORTED|PARTIAL|SUPPORTED)\b", re.IGNORECASE | re.MULTILINE
)
_SCORES = {"SUPPORTED": 1.0, "PARTIAL": 0.5, "UNSUPPORTED": 0.0}
JUDGE_PROMPTS = ("judge.system", "judge.user")


class LlmJudgeScorer:
    """Asks the chat model for SUPPORTED / PARTIAL / UNSUPPORTED per sentence; a missing verdict is unsupported."""

    name = "llm_judge"

    def __init__(self, chat: ChatModel, prompts: PromptSet) -> None:
        self._chat = chat
        self._prompts = prompts

    @property
    def version(self) -> str:
        """The judge model and the hash of its prompts."""
        return f"{self._chat.model}@{self._prompts.digest(*JUDGE_PROMPTS)}"

    def warm_up(self) -> None:
        """Nothing to load: the judge is a remote model, reached per request."""

    def score(self, claims: Sequence[SupportClaim]) -> list[SupportResult]:
        """One judgement per claim, all from a single request."""
        out: list[SupportResult | None] = [
            None if c.passages else SupportResult(0.0, None, ("no cited evidence",)) for c in claims
        ]
        todo = [i for i, r in enumerate(out) if r is None]
        if not todo:
            return [r for r in out if r is not None]
        numbering: dict[str, int] = {}
        for i in todo:
            for passage in claims[i].passages:
                numbering.setdefault(passage, len(numbering) + 1)
        statements = [
            {
                "number": n,
                "text": strip_markers(claims[i].text),
                "cited": [numbering[p] for p in claims[i].passages],
            }
            for n, i in enumerate(todo, start=1)
        ]
        messages = [
            ("system", self._prompts.render("judge.system")),
            (
                "user",
                self._prompts.render(
                    "judge.user",
                    passages=[{"number": n, "text": p} for p, n in numbering.items()],
                    statements=statements,
                ),
            ),
        ]
        verdicts = {int(n): v.upper() for n, v in _LINE.findall(self._chat.complete(messages))}
        for n, i in enumerate(todo, start=1):
            out[i] = _result(strip_markers(claims[i].text), claims[i].passages, verdicts.get(n))
        return [r for r in out if r is not None]


def _result(text: str, passages: Sequence[str], verdict: str | None) -> SupportResult:
    joined = " ".join(passages)
    missing = [str(q) for q in missing_quantities(text, joined)] + missing_coded_names(text, joined)
    if verdict is None:
        return SupportResult(0.0, None, ("the judge model gave no verdict",))
    score = _SCORES[verdict]
    reasons: list[str] = [] if verdict == "SUPPORTED" else [f"the judge model said {verdict.lower()}"]
    if missing:
        reasons.append("numbers or units not in the cited evidence: " + ", ".join(missing[:5]))
        score = min(score, CAP)
    return SupportResult(score, None, tuple(reasons))
