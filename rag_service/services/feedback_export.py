"""Feedback as evaluation items: the JSONL that ``rag-eval run --dataset jsonl`` reads.

Each piece of feedback becomes one line with the fields of the ``jsonl`` dataset (``id``, ``question``,
``gold_doc_ids``, ``gold_answer``, ``answerable``, ``group``) plus a ``feedback`` object the loader ignores
and a person reviewing the set reads:

* an answer rated helpful: ``gold_doc_ids`` are the documents it cited and ``gold_answer`` its text without
  markers; group ``feedback: helpful``. It checks the service keeps finding what helped.
* an answer rated not helpful: no gold documents (what it cited did not help); group
  ``feedback: not helpful``. It keeps the question in the test set until someone labels it.
* a citation flagged wrong: gold documents are the other cited documents, never the flagged one (named in
  ``feedback.wrong_doc_id``); group ``feedback: wrong citation``.
* a sentence flagged unsupported: gold documents are the cited documents (the evidence was right, the
  sentence over-reached), the sentence is in ``feedback.sentence_text``; group
  ``feedback: unsupported sentence``.
"""

from __future__ import annotations

from typing import Any

from rag_service.domain.feedback import Feedback
from rag_service.domain.text import marker_numbers, split_sentences, strip_markers

GROUPS = {
    "helpful": "feedback: helpful",
    "not_helpful": "feedback: not helpful",
    "citation": "feedback: wrong citation",
    "sentence": "feedback: unsupported sentence",
}


def _cited_doc_ids(f: Feedback, leave_out: int | None = None) -> list[str]:
    used = set(marker_numbers(f.answer))
    cited = [c for c in f.citations if (not used or c.number in used) and c.number != leave_out]
    flagged = f.cited(leave_out) if leave_out is not None else None
    wrong = flagged.doc_id if flagged is not None else None
    return [d for d in dict.fromkeys(c.doc_id for c in cited) if d != wrong]


def eval_item(f: Feedback) -> dict[str, Any]:
    """One JSONL record of the ``jsonl`` evaluation dataset for one piece of feedback."""
    label = f.rating if f.kind == "answer" and f.rating else f.kind
    details: dict[str, Any] = {
        "id": f.id,
        "kind": f.kind,
        "label": label,
        "created_at": f.created_at.isoformat(),
        "comment": f.comment,
        "settings_hash": f.settings_hash,
        "prompt_hash": f.prompt_hash,
        "documents": [
            {"number": c.number, "doc_id": c.doc_id, "version": c.version, "content_hash": c.content_hash}
            for c in f.citations
        ],
    }
    item: dict[str, Any] = {"id": f"feedback-{f.id}", "question": f.question, "group": GROUPS[label]}
    if label == "helpful":
        item["gold_doc_ids"] = _cited_doc_ids(f)
        item["gold_answer"] = strip_markers(f.answer) or None
    elif label == "not_helpful":
        item["gold_doc_ids"] = []
    elif label == "citation" and f.citation is not None:
        wrong = f.cited(f.citation)
        item["gold_doc_ids"] = _cited_doc_ids(f, leave_out=f.citation)
        details["citation"] = f.citation
        details["wrong_doc_id"] = wrong.doc_id if wrong else None
    else:
        item["gold_doc_ids"] = _cited_doc_ids(f)
        sentences = split_sentences(f.answer)
        details["sentence"] = f.sentence
        if f.sentence is not None and f.sentence < len(sentences):
            details["sentence_text"] = strip_markers(sentences[f.sentence])
    item["feedback"] = details
    return item
