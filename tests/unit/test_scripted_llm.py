"""The scripted LLM's logic: reading the service's prompts, the faithful answer, the alterations, the figures."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eval.llm_scenarios.alterations import alter, change_number, flip_negation
from eval.llm_scenarios.answers import (
    Abstract,
    DraftSentence,
    PubMedQaKey,
    best_passages,
    faithful_answer,
    own_passages,
)
from eval.llm_scenarios.figures import check_targets, hallucinate_figures, join_alterations
from eval.llm_scenarios.model import ScriptedModel
from eval.llm_scenarios.requests import AnswerRequest, JudgeRequest, Passage, RewriteRequest, parse_request
from eval.scripted_llm import create_app
from rag_service.services.citations import parse_draft
from rag_service.services.judge import LlmJudgeScorer
from rag_service.services.llm_answer import SENTINEL
from rag_service.services.prompts import DEFAULT_DIR, PromptSet
from rag_service.services.support import Claim
from tests.fakes import ScriptedChat

pytestmark = pytest.mark.unit

PROMPTS = PromptSet(DEFAULT_DIR)
ABSTRACT = Abstract(
    pmid="111",
    question="Does early norepinephrine lower mortality in septic shock?",
    contexts=(
        "Septic shock carries a high mortality. We studied when norepinephrine should be started.",
        "Mortality at 28 days was 31% with early norepinephrine and 40% with late norepinephrine. "
        "Time to shock control was shorter with early norepinephrine.",
    ),
    conclusion=(
        "Early norepinephrine was associated with lower 28-day mortality in septic shock. "
        "These findings suggest that norepinephrine should be started early. Larger trials are needed."
    ),
)
OTHER = Passage(
    9, "PMID 222", "Vasopressin added to norepinephrine did not change mortality in septic shock."
)


def own(*numbers: int) -> list[Passage]:
    """The abstract's two sections as evidence passages with the given numbers."""
    return [
        Passage(n, f"PMID {ABSTRACT.pmid}", text) for n, text in zip(numbers, ABSTRACT.contexts, strict=True)
    ]


def answer_messages(
    question: str, passages: Sequence[Passage], max_sentences: int = 4
) -> list[dict[str, str]]:
    """The service's real answer prompt, as chat messages."""
    evidence = [
        {"number": p.number, "title": p.title, "heading": "Results", "year": 2020, "text": p.text}
        for p in passages
    ]
    return [
        {"role": "system", "content": PROMPTS.render("answer.system", max_sentences=max_sentences)},
        {"role": "user", "content": PROMPTS.render("answer.user", question=question, evidence=evidence)},
    ]


def scripted(scenario: str = "faithful") -> ScriptedModel:
    return ScriptedModel(PubMedQaKey([ABSTRACT]), scenario, seed=3)  # type: ignore[arg-type]


def test_answer_and_rewrite_prompts_are_read_back() -> None:
    passages = [*own(1, 2), OTHER]
    request = parse_request(answer_messages(f"  {ABSTRACT.question}", passages, max_sentences=3))
    assert isinstance(request, AnswerRequest)
    assert request.question == ABSTRACT.question and request.max_sentences == 3
    assert [(p.number, p.title, p.text) for p in request.passages] == [
        (p.number, p.title, p.text) for p in passages
    ]
    rewrite = PROMPTS.render(
        "rewrite.user", history=[{"role": "user", "content": "sepsis"}], question="and kids?"
    )
    assert parse_request([{"role": "user", "content": rewrite}]) == RewriteRequest("and kids?")
    assert parse_request([{"role": "user", "content": "hello"}]) is None


def test_both_judge_prompt_formats_are_read_back() -> None:
    single = parse_request(
        [{"role": "user", "content": "<evidence>\nGive 5 mg.\n</evidence>\n\nStatement: Give 5 mg."}]
    )
    assert isinstance(single, JudgeRequest) and not single.numbered
    assert (single.statements[0].text, single.statements[0].evidence) == ("Give 5 mg.", "Give 5 mg.")
    user = (
        '<passage number="1">\nGive 5 mg.\n</passage>\n\n<passage number="2">\nAvoid in pregnancy.\n</passage>\n\n'
        "Statements:\n1. (passages 1) Give 5 mg.\n2. (passages 1, 2) Avoid it in pregnancy.\n"
    )
    batch = parse_request([{"role": "user", "content": user}])
    assert isinstance(batch, JudgeRequest) and batch.numbered
    assert [s.evidence for s in batch.statements] == ["Give 5 mg.", "Give 5 mg.\n\nAvoid in pregnancy."]


def test_the_service_judge_gets_a_verdict_per_statement_from_the_scripted_model() -> None:
    judge = LlmJudgeScorer(ScriptedChat(scripted()), PROMPTS)
    passage = "Give 30 mL/kg of crystalloid within 3 hours. Reassess often."
    results = judge.score(
        [
            Claim("Give 30 mL/kg of crystalloid within 3 hours [1].", (passage,)),
            Claim("Start dialysis now.", (passage,)),
        ]
    )
    assert [r.score for r in results] == [1.0, 0.0]


def test_own_passages_are_found_by_text_and_cited_by_overlap() -> None:
    passages = [OTHER, *own(2, 4)]
    assert [p.number for p in own_passages(ABSTRACT, passages)] == [2, 4]
    # Re-spaced text still counts as the abstract's own (chunks are whitespace-normalised on ingestion).
    respaced = Passage(5, "t", "  Septic shock carries a high\nmortality.  ")
    assert own_passages(ABSTRACT, [respaced]) == [respaced]
    assert best_passages("Mortality at 28 days was lower with early norepinephrine.", own(2, 4)) == (4,)
    assert len(best_passages("Septic shock mortality with early norepinephrine.", own(1, 2))) <= 2


def test_faithful_answer_is_the_conclusion_cited_to_its_own_passages() -> None:
    draft = faithful_answer(ABSTRACT, own(1, 2), most=2)
    assert draft is not None and len(draft) == 2
    assert draft[0].text == "Early norepinephrine was associated with lower 28-day mortality in septic shock."
    assert all(d.citations and set(d.citations) <= {1, 2} for d in draft)
    assert faithful_answer(ABSTRACT, [], most=4) is None


def test_a_number_is_changed_with_its_formatting_kept() -> None:
    text = "Mortality was 31% versus 40.5% in APOA1 carriers with IL-6 above +/-5 units."
    for seed in range(20):
        changed, detail = change_number(text, random.Random(seed)) or ("", "")
        old, new = detail.split(" -> ")
        assert old in ("31", "40.5") and len(new) == len(old) and new != old and new[:-1] == old[:-1]
        assert changed == text.replace(old, new, 1)
    assert change_number("No numbers here.", random.Random(0)) is None


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Fatigue was not associated with age.", "Fatigue was associated with age."),
        ("There was no difference between groups.", "There was some difference between groups."),
        ("No change occurred after the prompts.", "Some change occurred after the prompts."),
        ("Surgery cannot be avoided.", "Surgery can be avoided."),
        ("Screening may be useful.", "Screening may not be useful."),
        ("These results suggest a benefit.", "These results do not suggest a benefit."),
        ("The trial suggests a benefit.", "The trial does not suggest a benefit."),
        ("DBE appears to be safe.", "DBE appears not to be safe."),
        ("It has been shown to help.", "It has not been shown to help."),
        ("The drug can reduce pain.", "The drug cannot reduce pain."),
    ],
)
def test_a_negation_is_flipped_grammatically(before: str, after: str) -> None:
    flipped = flip_negation(before)
    assert flipped is not None and flipped[0] == after


def test_no_negation_site_means_no_flip() -> None:
    assert flip_negation("Larger trials needed.") is None


def test_the_alteration_kind_is_one_the_answer_allows_and_is_reproducible() -> None:
    draft = [DraftSentence("Larger trials needed.", (1,)), DraftSentence("Screening may help.", (2,))]
    for seed in range(10):
        result = alter(draft, [], random.Random(seed))
        assert result is not None and result[1].kind == "negation" and result[1].sentence == 1
    cited = alter(draft, [OTHER], random.Random(1))
    again = alter(draft, [OTHER], random.Random(1))
    assert cited == again and cited is not None
    altered = [alter(draft, [OTHER], random.Random(s)) for s in range(20)]
    alterations = [a[1] for a in altered if a is not None]
    assert len(alterations) == 20
    assert {a.kind for a in alterations} == {"negation", "citation"}
    alteration = next(a for a in alterations if a.kind == "citation")
    assert alteration.citations_after == (9,) and alteration.before == alteration.after
    assert alter([DraftSentence("Larger trials needed.", (1,))], [], random.Random(0)) is None


def test_scripted_model_answers_like_a_model_and_records_its_alteration() -> None:
    messages = answer_messages(ABSTRACT.question, [OTHER, *own(2, 3)])
    faithful = scripted().reply(messages)
    parsed = parse_draft(faithful, 3)  # the service's own parser
    assert len(parsed) == 3 and all(p.cited and set(p.cited) <= {2, 3} for p in parsed)
    liar = scripted("hallucinate")
    altered = liar.reply(messages)
    assert altered != faithful and altered == scripted("hallucinate").reply(messages)
    (record,) = liar.alterations
    assert record["pmid"] == "111" and record["question"] == ABSTRACT.question
    sentence = next(p for p in parse_draft(altered, 9) if p.text == record["after"])
    assert sentence.cited == tuple(record["citations_after"])
    assert scripted().reply(answer_messages(ABSTRACT.question, [OTHER])) == SENTINEL
    assert scripted().reply(answer_messages("Is coffee good for you?", own(1, 2))) == SENTINEL


def test_server_speaks_the_openai_chat_format() -> None:
    model = scripted("hallucinate")
    with TestClient(create_app(model)) as client:
        reply = client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": answer_messages(ABSTRACT.question, own(1, 2))},
        )
        assert reply.status_code == 200
        body = reply.json()
        assert body["object"] == "chat.completion" and body["model"] == "m"
        assert "[" in body["choices"][0]["message"]["content"]
        assert client.get("/alterations").json() == model.alterations and len(model.alterations) == 1
        assert client.get("/v1/models").json()["data"][0]["id"] == "scripted-hallucinate"


def _item(qid: str, abstained: bool, sentences: list[dict[str, Any]]) -> dict[str, Any]:
    citations = [{"number": 1, "doc_id": f"pubmedqa-{qid}"}, {"number": 2, "doc_id": "pubmedqa-other"}]
    answer = {"abstained": abstained, "abstain_code": "insufficient_support" if abstained else None,
              "citations": citations, "sentences": sentences}  # fmt: skip
    return {"qid": qid, "variant": "answerable", "answer": answer, "gold": {"doc_ids": [f"pubmedqa-{qid}"]}}


def test_altered_answers_are_caught_by_abstention_absence_or_verdict() -> None:
    altered = "It was not safe."
    results = {
        "metrics": {},
        "items": [
            _item("1", True, [{"text": altered, "citations": [1], "verdict": "supported", "score": 0.9}]),
            _item("2", False, [{"text": "Other.", "citations": [1], "verdict": "supported", "score": 0.9}]),
            _item("3", False, [{"text": altered, "citations": [1], "verdict": "partial", "score": 0.5}]),
            _item("4", False, [{"text": altered, "citations": [2], "verdict": "supported", "score": 0.8}]),
        ],
    }
    log = [
        {"pmid": q, "kind": k, "after": altered}
        for q, k in (("1", "negation"), ("2", "number"), ("3", "negation"), ("4", "citation"))
    ]
    joined = join_alterations(results, [*log, {"pmid": "99", "kind": "number", "after": "x"}])
    assert [j["outcome"] for j in joined] == ["abstained", "absent", "not_supported", "supported"]
    assert joined[3]["cited_doc_ids"] == ["pubmedqa-other"]
    figures = hallucinate_figures(results, joined)
    assert figures["caught_share"] == 0.75 and figures["given_answers"] == 3
    assert figures["not_supported_share_among_given"] == pytest.approx(0.6667)
    assert (
        figures["by_kind"]["negation"]["caught_share"] == 1.0
        and figures["by_kind"]["citation"]["caught_share"] == 0.0
    )
    targets = check_targets({"hallucinate": figures, "faithful": {"abstention_rate_on_answerable": 0.05}})
    assert targets["faithful.abstention_rate_on_answerable"]["met"] is True
    assert targets["hallucinate.caught_share"] == {"value": 0.75, "target": ">= 0.9", "met": False}
    assert targets["faithful.citation_recall"]["met"] is False  # missing counts as not met
