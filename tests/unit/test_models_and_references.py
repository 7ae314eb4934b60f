"""The numbered reference list appended to chat replies, and the model card clients select."""

from __future__ import annotations

import pytest

from rag_service.api.answer_schemas import CitationOut
from rag_service.api.chat_schemas import ChatRequest, ModelList
from rag_service.api.references import reference_line, reference_list

pytestmark = pytest.mark.unit


def citation(number: int, **meta: object) -> CitationOut:
    fields: dict[str, object] = {
        "rank": number,
        "chunk_id": f"c{number}",
        "text": "Give 30 mL/kg of crystalloid.",
        "score": 0.9,
        "relevance": 0.9,
        "scores": {},
        "doc_id": f"doc-{number}",
        "title": f"Title {number}",
        "heading_path": [],
        "heading": "",
        "page": None,
        "doc_type": "guideline",
        "source": "x.md",
        "url": None,
        "organisation": None,
        "journal": None,
        "year": None,
        "version": None,
        "series_id": None,
        "pmid": None,
        "pmcid": None,
        "doi": None,
        "superseded": False,
        "duplicates": [],
    }
    return CitationOut.model_validate({**fields, **meta, "number": number})


def test_a_reference_line_has_every_known_part_in_order() -> None:
    c = citation(
        2,
        title="Surviving Sepsis",
        organisation="SCCM",
        year=2021,
        heading="Resuscitation > Fluids",
        page=4,
        pmid="123",
        doi="10.1/x",
        url="https://example.org/ssc",
    )
    assert reference_line(c) == (
        "[2] Surviving Sepsis — SCCM, 2021, Resuscitation > Fluids, p. 4, PMID 123 / DOI 10.1/x / "
        "https://example.org/ssc"
    )


def test_a_reference_line_leaves_unknown_parts_out() -> None:
    assert reference_line(citation(1)) == "[1] Title 1"
    assert reference_line(citation(3, year=2019, doi="10.2/y")) == "[3] Title 3 — 2019, DOI 10.2/y"


def test_the_list_holds_the_cited_numbers_in_order() -> None:
    cites = [citation(2), citation(1), citation(3)]
    block = reference_list("Give fluids [2]. Then reassess [1].", cites)
    assert block == "\n\nReferences:\n[1] Title 1\n[2] Title 2"
    assert reference_list("No markers here.", cites).count("\n[") == 3
    assert reference_list("Nothing cited.", []) == ""


def test_references_are_on_unless_turned_off() -> None:
    messages = [{"role": "user", "content": "q"}]
    assert ChatRequest.model_validate({"messages": messages}).references is True
    assert ChatRequest.model_validate({"messages": messages, "references": False}).references is False


def test_the_model_list_has_the_openai_shape() -> None:
    body = ModelList.model_validate(
        {"data": [{"id": "clinical-rag", "created": 1, "owned_by": "me"}]}
    ).model_dump()
    assert body == {
        "object": "list",
        "data": [{"id": "clinical-rag", "object": "model", "created": 1, "owned_by": "me"}],
    }
