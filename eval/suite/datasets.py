"""Loaders for every dataset ``rag-eval`` knows, each giving questions with gold labels and its own corpus.

Formats:

* ``pubmedqa``: PQA-L JSON (``{pmid: {QUESTION, CONTEXTS, LABELS, LONG_ANSWER, final_decision}}``); the corpus
  is every entry's abstract, one document per PMID.
* ``bioasq``: a BioASQ training/test JSON file (or a folder of them): ``{"questions": [{"id", "body", "type",
  "documents", "snippets": [{"document", "text", ...}], "ideal_answer", "exact_answer"}]}``; the corpus is
  every gold snippet of the file(s), one document per distinct snippet, so recall is over snippets.
* ``medquad``: the MedQuAD archive (``medquad.tar.gz``); the corpus is every answered pair's answer and the
  gold of a question is its own answer document.
* ``kqa``: K-QA's ``questions_w_answers.jsonl`` (or its folder); no corpus of its own.
* ``expertqa``: ExpertQA JSONL with claim-level support labels; nothing is indexed.
* ``hostile``: a folder of documents written to attack the service (``tests/data/hostile``) with its
  ``questions.jsonl``: the ``jsonl`` fields plus ``forbidden`` (strings an answer must never contain) and
  ``poisoned_doc_ids`` (documents it must never cite); the corpus is the folder's documents, so the
  injected ones compete with the real ones. Scored by ``injection.followed`` (must be 0).
* ``jsonl``: your own questions, one JSON object per line: ``question`` (required), ``id``,
  ``gold_doc_ids``, ``gold_answer``, ``answerable``, ``group`` (a label the report breaks metrics down by);
  no corpus of its own.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from eval.suite.items import Dataset, EvalItem
from eval.support_data import expertqa_items
from ingest.loaders.medquad_xml import medquad_source_id, pair_doc_id, root_id

DATASETS = ("pubmedqa", "bioasq", "medquad", "kqa", "expertqa", "hostile", "jsonl")
_ANSWER = re.compile(rb"<Answer>\s*[^<\s]", re.S)


class DatasetError(ValueError):
    """The dataset file is missing or not in the expected format; the message names the file."""


def load_dataset(name: str, path: Path, workdir: Path, *, build_corpus: bool = True) -> Dataset:
    """Load ``name`` from ``path``; corpus files (when the dataset has one) are written under ``workdir``.

    Args:
        name: One of :data:`DATASETS`.
        path: The dataset file or folder.
        workdir: A scratch folder for the corpus the dataset's own index is built from.
        build_corpus: False when an existing index will be used (skips unpacking large corpora).

    Raises:
        DatasetError: The path does not exist or its content is not in the dataset's format.
    """
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    loaders: dict[str, Callable[[Path, Path, bool], Dataset]] = {
        "pubmedqa": _pubmedqa,
        "bioasq": _bioasq,
        "medquad": _medquad,
        "kqa": _kqa,
        "expertqa": _expertqa,
        "hostile": _hostile,
        "jsonl": _jsonl,
    }
    if name not in loaders:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    try:
        return loaders[name](path, workdir, build_corpus)
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: not a {name} file ({type(exc).__name__}: {exc})") from exc


def sample(items: list[EvalItem], limit: int | None, seed: int, shuffle: bool) -> list[EvalItem]:
    """The first ``limit`` items, or a fixed-seed random sample of them when ``shuffle``."""
    if not limit or limit >= len(items):
        return items
    if shuffle:
        return random.Random(seed).sample(items, limit)  # noqa: S311 - a reproducible benchmark sample
    return items[:limit]


def write_jsonl(records: list[dict[str, object]], path: Path) -> Path:
    """Write corpus records as a JSONL file the ingest pipeline reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _pubmedqa(path: Path, workdir: Path, build_corpus: bool) -> Dataset:
    """One literature document per PMID from its abstract contexts, one question each.

    The question is not indexed (PubMedQA questions are often the article's own title, so indexing it would
    make the benchmark trivial); the document is titled by its PMID only.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    records: list[dict[str, object]] = []
    items: list[EvalItem] = []
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
            EvalItem(
                qid=str(pmid),
                question=entry["QUESTION"],
                gold_doc_ids=frozenset({doc_id}),
                gold_answer=entry.get("LONG_ANSWER"),
                decision=entry.get("final_decision"),
                extra={"group": f"decision {entry.get('final_decision', '?')}"},
            )
        )
    corpus = write_jsonl(records, workdir / "pubmedqa.jsonl") if build_corpus else None
    return Dataset("pubmedqa", "qa", items, corpus)


def _bioasq_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.json")) if path.is_dir() else [path]


def snippet_doc_id(document: str, text: str) -> str:
    """A stable id for one BioASQ snippet: its source document URL and its text."""
    return "bioasq-" + hashlib.sha256(f"{document}\n{' '.join(text.split())}".encode()).hexdigest()[:16]


def _bioasq(path: Path, workdir: Path, build_corpus: bool) -> Dataset:
    records: dict[str, dict[str, object]] = {}
    items: list[EvalItem] = []
    for file in _bioasq_files(path):
        data = json.loads(file.read_text(encoding="utf-8"))
        questions = data["questions"] if isinstance(data, dict) else data
        for q in questions:
            gold: set[str] = set()
            for snip in q.get("snippets") or []:
                text, document = " ".join(str(snip["text"]).split()), str(snip.get("document", ""))
                if not text:
                    continue
                doc_id = snippet_doc_id(document, text)
                gold.add(doc_id)
                pmid = document.rstrip("/").rsplit("/", 1)[-1]
                record: dict[str, object] = {
                    "id": doc_id,
                    "title": f"PMID {pmid}" if pmid.isdigit() else document or "BioASQ snippet",
                    "text": text,
                    "doc_type": "literature",
                }
                if document:
                    record["url"] = document
                if pmid.isdigit():
                    record["pmid"] = pmid
                records[doc_id] = record
            ideal = q.get("ideal_answer")
            exact = q.get("exact_answer")
            items.append(
                EvalItem(
                    qid=str(q["id"]),
                    question=str(q["body"]),
                    gold_doc_ids=frozenset(gold),
                    gold_answer=(ideal[0] if isinstance(ideal, list) and ideal else ideal) or None,
                    decision=str(exact).lower()
                    if q.get("type") == "yesno" and isinstance(exact, str)
                    else None,
                    extra={"type": str(q.get("type", "")), "group": f"type {q.get('type', '?')}"},
                )
            )
    if not items:
        raise DatasetError(f"{path}: no BioASQ questions found")
    corpus = write_jsonl(list(records.values()), workdir / "bioasq.jsonl") if build_corpus else None
    return Dataset("bioasq", "qa", items, corpus)


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


def _medquad(path: Path, workdir: Path, build_corpus: bool) -> Dataset:
    questions = medquad_questions(path)
    # Document ids are medquad-<collection>-<file id>-<pair>: the collection is the NIH source.
    items = [
        EvalItem(qid=d, question=q, gold_doc_ids=frozenset({d}), extra={"group": d.split("-")[1]})
        for d, q in sorted(questions.items())
    ]
    corpus = None
    if build_corpus:
        corpus = workdir / "medquad"
        unpack_medquad(path, corpus)
    return Dataset("medquad", "qa", items, corpus)


def _kqa(path: Path, workdir: Path, build_corpus: bool) -> Dataset:
    file = path / "dataset" / "questions_w_answers.jsonl" if path.is_dir() else path
    if not file.is_file():
        file = path / "questions_w_answers.jsonl"
    items = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        items.append(
            EvalItem(
                qid=f"kqa-{n}",
                question=row["Question"],
                gold_answer=row.get("Free_form_answer"),
                must_have=tuple(row.get("Must_have") or ()),
                nice_to_have=tuple(row.get("Nice_to_have") or ()),
            )
        )
    return Dataset(
        "kqa", "qa", items, None, notes=["K-QA has no corpus: questions are asked of the index given"]
    )


def _expertqa(path: Path, workdir: Path, build_corpus: bool) -> Dataset:
    items = [
        EvalItem(
            qid=f"expertqa-{n}",
            question=row["claim"],
            claim_evidence=(row["evidence"],),
            claim_label=row["label"],
        )
        for n, row in enumerate(expertqa_items(path), start=1)
    ]
    notes = [
        "supported = human label 'Complete'; 'Partial', 'Incomplete' and 'Missing' count as not supported"
    ]
    return Dataset("expertqa", "support", items, None, notes=notes)


def _hostile(path: Path, workdir: Path, build_corpus: bool) -> Dataset:
    """Questions over a corpus with injected documents; each item names what following them would show."""
    if not path.is_dir():
        raise DatasetError(f"{path}: the hostile dataset is a folder with questions.jsonl and its documents")
    base = _jsonl(path / "questions.jsonl", workdir, build_corpus)
    rows = [json.loads(line) for line in (path / "questions.jsonl").read_text().splitlines() if line.strip()]
    items = [
        replace(
            item,
            forbidden=tuple(str(f) for f in row.get("forbidden") or ()),
            poisoned_doc_ids=frozenset(str(d) for d in row.get("poisoned_doc_ids") or ()),
        )
        for item, row in zip(base.items, rows, strict=True)
    ]
    corpus = None
    if build_corpus:
        corpus = workdir / "hostile"
        corpus.mkdir(parents=True, exist_ok=True)
        for doc in sorted(path.glob("*")):
            if (
                doc.is_file()
                and doc.suffix in (".md", ".txt", ".pdf", ".html", ".xml")
                and doc.name != "README.md"
            ):
                shutil.copy(doc, corpus / doc.name)
    notes = ["injection.followed: share of answers stating a forbidden string or citing an injected document"]
    return Dataset("hostile", "qa", items, corpus, notes=notes)


def _jsonl(path: Path, workdir: Path, build_corpus: bool) -> Dataset:
    items: list[EvalItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row: dict[str, Any] = json.loads(line)
            question = row["question"]
            if not isinstance(question, str) or not question.strip():
                raise TypeError("'question' must be a non-empty string")
            gold = row.get("gold_doc_ids") or []
            if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
                raise TypeError("'gold_doc_ids' must be a list of document ids")
            answerable = row.get("answerable", True)
            group = row.get("group")
            if not isinstance(answerable, bool):
                raise TypeError("'answerable' must be true or false")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}, line {n}: {exc}") from exc
        items.append(
            EvalItem(
                qid=str(row.get("id") or f"q{n}"),
                question=question,
                gold_doc_ids=frozenset(gold),
                gold_answer=row.get("gold_answer"),
                answerable=answerable,
                extra={"group": str(group)} if group else {},
            )
        )
    if not items:
        raise DatasetError(f"{path}: no questions")
    return Dataset("jsonl", "qa", items, None)
