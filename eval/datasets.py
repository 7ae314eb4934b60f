"""Benchmark datasets turned into a corpus to index and queries with their gold documents."""

from __future__ import annotations

import json
import random
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree

from ingest.loaders.medquad_xml import medquad_source_id, pair_doc_id, root_id

_ANSWER = re.compile(rb"<Answer>\s*[^<\s]", re.S)


@dataclass(frozen=True, slots=True)
class RetrievalItem:
    """One benchmark question and the documents that answer it."""

    qid: str
    question: str
    gold_doc_ids: frozenset[str]


def pubmedqa(path: Path) -> tuple[list[dict[str, object]], list[RetrievalItem]]:
    """PubMedQA (PQA-L format): one literature document per PMID from its abstract contexts, one query each.

    The question is not indexed (PubMedQA questions are often the article's own title, so indexing it would
    make the benchmark trivial); the document is titled by its PMID only.
    """
    data = json.loads(path.read_text())
    records: list[dict[str, object]] = []
    items: list[RetrievalItem] = []
    for pmid, entry in data.items():
        doc_id = f"pubmedqa-{pmid}"
        labels = entry.get("LABELS") or [""] * len(entry["CONTEXTS"])
        sections = [
            {"heading": str(label).title(), "text": text}
            for label, text in zip(labels, entry["CONTEXTS"], strict=True)
        ]
        record: dict[str, object] = {
            "id": doc_id,
            "title": f"PMID {pmid}",
            "sections": sections,
            "doc_type": "literature",
            "pmid": str(pmid),
        }
        if str(entry.get("YEAR", "")).isdigit():
            record["year"] = int(entry["YEAR"])
        records.append(record)
        items.append(
            RetrievalItem(qid=str(pmid), question=entry["QUESTION"], gold_doc_ids=frozenset({doc_id}))
        )
    return records, items


def write_jsonl(records: list[dict[str, object]], path: Path) -> Path:
    """Write records as a JSONL file the ingest pipeline reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _answered_members(archive: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(archive) as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith(".xml")):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            data = handle.read()
            if _ANSWER.search(data):
                yield member.name, data


def unpack_medquad(archive: Path, dest: Path, limit: int | None = None) -> int:
    """Extract the MedQuAD XML files with at least one non-empty answer; returns how many."""
    count = 0
    for name, data in _answered_members(archive):
        target = dest / Path(name).relative_to(Path(name).parts[0])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count += 1
        if limit and count >= limit:
            break
    return count


def medquad_questions(archive: Path) -> dict[str, str]:
    """Question text of every answered MedQuAD pair, keyed by the document id the loader gives its answer."""
    out: dict[str, str] = {}
    for name, data in _answered_members(archive):
        root = ElementTree.fromstring(data)
        collection = root.get("source") or ""
        source_id = medquad_source_id(root_id(root), Path(name).stem) or Path(name).stem
        for position, pair in enumerate(root.iterfind("QAPairs/QAPair"), start=1):
            answer = pair.find("Answer")
            question = pair.findtext("Question") or ""
            if answer is None or not "".join(answer.itertext()).strip() or not question.strip():
                continue
            doc_id = pair_doc_id(collection, source_id, pair.get("pid") or str(position))
            out[doc_id] = " ".join(question.split())
    return out


def medquad(archive: Path, indexed: set[str], sample: int, seed: int) -> list[RetrievalItem]:
    """A fixed-seed sample of MedQuAD questions whose answer document is in the index."""
    questions = medquad_questions(archive)
    ids = sorted(d for d in questions if d in indexed)
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))  # noqa: S311 - a benchmark sample
    return [RetrievalItem(qid=d, question=questions[d], gold_doc_ids=frozenset({d})) for d in chosen]
