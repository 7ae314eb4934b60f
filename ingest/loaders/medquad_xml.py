"""MedQuAD XML (``<Document>`` with ``<QAPairs>``): one patient-information document per answered pair.

Part of the CDC collection uses ``<DiseaseFile fid=...>`` as the root; it is read the same way.

The question text is deliberately left out: MedQuAD questions serve as benchmark queries, and indexing them
next to their answers would let retrieval match the question instead of the evidence.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from ingest.loaders.base import LoadContext, LoadResult, normalise_whitespace
from ingest.loaders.meta import clean_title, readable_stem
from rag_service.domain.documents import DocumentMeta, Section, SourceDocument
from rag_service.domain.errors import IngestError

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def from_element(root: Element, ctx: LoadContext) -> LoadResult:
    """Turn a parsed MedQuAD ``<Document>`` into documents, one per question-answer pair with an answer.

    Pairs without an answer are skipped silently: three MedQuAD collections ship with every answer removed
    for copyright reasons, so an empty answer is expected, not an error.

    Args:
        root: The ``Document`` element.
        ctx: Facts about the file.

    Returns:
        ``patient_info`` documents with ids ``medquad-<collection>-<document id>-<pair id>``.

    Raises:
        IngestError: No pair in the file has an answer.
    """
    # Numbering restarts in every MedQuAD collection (CancerGov, GARD, ...), so the collection is part of the id.
    collection = root.get("source") or ""
    source_id = medquad_source_id(root_id(root), ctx.path.stem) or ctx.default_doc_id
    focus = clean_title(root.findtext("Focus") or "")
    title = focus or readable_stem(ctx.path)
    result = LoadResult(documents=[])
    seen: set[str] = set()
    for position, pair in enumerate(root.iterfind("QAPairs/QAPair"), start=1):
        answer_el = pair.find("Answer")
        answer = normalise_whitespace("".join(answer_el.itertext())) if answer_el is not None else ""
        if not answer:
            continue
        pid = pair.get("pid") or str(position)
        doc_id = pair_doc_id(collection, source_id, pid)
        if doc_id in seen:
            result.record_errors.append(f"pair {pid}: duplicate pair id")
            continue
        question = pair.find("Question")
        extra: dict[str, str | int | float | bool] = {"focus": focus or title}
        if question is not None:
            for key, attr in (("question_type", "qtype"), ("question_id", "qid")):
                if question.get(attr):
                    extra[key] = question.get(attr, "").strip()
        try:
            meta = DocumentMeta(
                doc_id=doc_id,
                title=title,
                source=str(ctx.path),
                url=(root.get("url") or "").strip() or None,
                organisation=(root.get("source") or "").strip() or None,
                doc_type="patient_info",
                extra=extra,
            )
        except ValidationError as exc:
            field = ".".join(str(p) for p in exc.errors()[0]["loc"])
            result.record_errors.append(f"pair {pid}: invalid {field}")
            continue
        seen.add(doc_id)
        section = Section(heading_path=(title,), text=answer)
        result.documents.append(SourceDocument(meta=meta, sections=[section]))
    if not result.documents:
        raise IngestError("no answered question-answer pairs")
    return result


def root_id(root: Element) -> str:
    """The file's own id: ``id`` on ``<Document>``, ``fid`` on the CDC ``<DiseaseFile>`` variant."""
    return root.get("id") or root.get("fid") or ""


def medquad_source_id(root_id: str, file_stem: str) -> str:
    """The document part of the id: the file name when it extends the root id.

    Some CancerGov files share one root id (``0000013_2.xml``, ``0000013_2_1.xml``...) although each is about
    another disease; their file names tell them apart.
    """
    root_id = root_id.strip()
    return file_stem if root_id and file_stem.startswith(root_id) else root_id


def pair_doc_id(collection: str, source_id: str, pid: str) -> str:
    """The document id of one MedQuAD pair: ``medquad-<collection>-<document id>-<pair id>``."""
    parts = [_safe_id(collection).lower()] if collection.strip() else []
    return "-".join(["medquad", *parts, _safe_id(source_id), _safe_id(pid)])


def _safe_id(value: str) -> str:
    # Ids end up in URLs and file names; MedQuAD's are tame, but a space or slash would break both.
    return _UNSAFE_ID_CHARS.sub("_", value.strip()).strip("_") or "x"
