"""False alarms of the hostile-input defences on real clinical text: injection flags and dose conflicts.

The instruction-like text detector:

Runs :func:`rag_service.services.injection.find_instructions` over the open-medicine demo summaries, the
PubMedQA dev abstracts, MedQuAD answers and the FDA label PDFs under ``../shared/data`` (sources that are not
there are skipped), and over the hostile test documents, where every document should be flagged. Prints and
writes the counts and every flagged sentence of the real text, so each false alarm can be read.

The dose-limit conflict rule: every dose statement of the demo summaries and the FDA labels (drug, kind of
amount, milligrams, limit or dose, population) is read, and every pair from two different documents that the
rule calls a disagreement is listed: an upper bound on the ``conflicting_evidence`` false alarms any
retrieval of this text could raise.

    python -m eval.bench_injection --out eval/reports/injection.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

from eval.report import write_json
from ingest.loaders import loader_for
from ingest.loaders.base import LoadContext
from rag_service.domain.errors import ConfigurationError, IngestError
from rag_service.domain.text import split_sentences
from rag_service.services.dose_limits import DoseStatement, disagree, dose_statements
from rag_service.services.drug_synonyms import default_synonyms
from rag_service.services.injection import find_instructions

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
HOSTILE = REPO / "tests" / "data" / "hostile"


def _file_texts(path: Path, with_context: bool = False) -> Iterator[str]:
    loader = loader_for(path)
    if loader is None:
        return
    try:
        result = loader(path.read_bytes(), LoadContext(path, path.stem))
    except IngestError:
        return
    for doc in result.documents:
        for section in doc.sections:
            yield " ".join(section.heading_path) + "\x00" + section.text if with_context else section.text


def dose_conflicts() -> tuple[int, list[dict[str, str]]]:
    """Dose statements of the demo and label documents, and the cross-document pairs the rule flags."""
    from ingest.demo import demo_root

    files: list[Path] = sorted((SHARED / "pdfs").glob("*.pdf"))
    with contextlib.suppress(ConfigurationError):  # without the demo package, the labels alone
        files += sorted(demo_root().rglob("*.md"))
    names = default_synonyms()
    found: list[tuple[str, DoseStatement, str]] = []
    for path in files:
        for block in _file_texts(path, with_context=True):
            context, _, text = block.partition("\x00")
            for sentence in split_sentences(text):
                for statement in dose_statements(sentence, names, context):
                    found.append((path.name, statement, " ".join(sentence.split())[:200]))
    pairs = [
        {"a": f"{da}: {ta}", "b": f"{db}: {tb}"}
        for i, (da, a, ta) in enumerate(found)
        for db, b, tb in found[i + 1 :]
        if da != db and disagree(a, b)
    ]
    return len(found), pairs


def _demo() -> Iterator[str]:
    from ingest.demo import demo_root

    try:
        root = demo_root()
    except ConfigurationError:
        return
    for path in sorted(root.rglob("*.md")):
        yield from _file_texts(path)


def _pubmedqa() -> Iterator[str]:
    path = SHARED / "pubmedqa" / "pqal_dev.json"
    if path.is_file():
        for entry in json.loads(path.read_text()).values():
            yield from entry["CONTEXTS"]


def _medquad(limit: int) -> Iterator[str]:
    path = SHARED / "medquad.tar.gz"
    if not path.is_file():
        return
    seen = 0
    with tarfile.open(path) as tar:
        for member in tar:
            if seen >= limit:
                break
            if not (member.isfile() and member.name.endswith(".xml")):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            tmp = Path(member.name)
            loader = loader_for(tmp)
            try:
                result = loader(handle.read(), LoadContext(tmp, tmp.stem)) if loader else None
            except IngestError:
                continue
            for doc in result.documents if result else []:
                seen += 1
                yield from (s.text for s in doc.sections)


def _labels() -> Iterator[str]:
    for path in sorted((SHARED / "pdfs").glob("*.pdf")):
        yield from _file_texts(path)


def scan(texts: Iterator[str]) -> tuple[int, list[dict[str, str]]]:
    """Sentences scanned and the flagged ones, with the kind of cue that fired."""
    sentences = 0
    flagged: list[dict[str, str]] = []
    for text in texts:
        for sentence in split_sentences(text):
            sentences += 1
            cues = find_instructions(sentence)
            if cues:
                flagged.append({"kind": cues[0].kind, "sentence": " ".join(sentence.split())[:300]})
    return sentences, flagged


def main(argv: list[str] | None = None) -> int:
    """Scan every source and print the flag counts."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--medquad-docs", type=int, default=5000, help="MedQuAD answers to scan")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    sources = {
        "open_medicine_demo": scan(_demo()),
        "pubmedqa_dev": scan(_pubmedqa()),
        "medquad": scan(_medquad(args.medquad_docs)),
        "fda_labels": scan(_labels()),
    }
    hostile = sorted(p for p in HOSTILE.glob("*") if p.name.startswith("injection"))
    caught = [p.name for p in hostile if any(find_instructions(t) for t in _file_texts(p))]
    for name, (count, flagged) in sources.items():
        print(f"{name:20s} sentences {count:7d}  false positives {len(flagged)}")
        for example in flagged:
            print(f"  [{example['kind']}] {example['sentence']}")
    print(f"hostile documents flagged: {len(caught)} of {len(hostile)}")
    statements, pairs = dose_conflicts()
    print(f"dose statements in demo and label text: {statements}; cross-document conflicts: {len(pairs)}")
    for pair in pairs:
        print(f"  {pair['a']}\n    vs {pair['b']}")
    if args.out:
        figures = {
            "real_text": {k: {"sentences": n, "false_positives": len(f)} for k, (n, f) in sources.items()},
            "false_positive_sentences": [e for _, flagged in sources.values() for e in flagged],
            "hostile_documents": len(hostile),
            "hostile_documents_flagged": len(caught),
            "dose_statements_demo_and_labels": statements,
            "dose_conflicts_across_documents": pairs,
        }
        write_json(figures, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
