"""Does a data directory agree with itself? The catalog against Chroma against the BM25 files, by id.

Run in a fresh process each time (``python -m eval.faults.consistency``): an embedded Chroma client caches
its index per path inside a process, so checking twice from one process would read stale state after another
process wrote to the directory. Prints one JSON object on stdout::

    python -m eval.faults.consistency --data-dir DIR [--expected ids.json] [--chroma-port N]

``ids.json`` maps each document id the corpus holds to its revision (see :mod:`eval.faults.corpus`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rag_service.bootstrap import build_components, index_dir
from rag_service.settings import Settings


def _bm25_files(directory: Path) -> tuple[list[str], int | None]:
    """Passage ids listed by the persisted BM25 index and the catalog version stamped on it."""
    try:
        ids = json.loads((directory / "ids.json").read_text())["chunks"]
    except (OSError, ValueError, KeyError):
        ids = []
    try:
        version = json.loads((directory / "stamp.json").read_text()).get("version")
    except (OSError, ValueError):
        version = None
    return [str(i) for i in ids], version if isinstance(version, int) else None


def _revision_of(rows: list[tuple[str, int, str, str, int | None]]) -> int:
    text = " ".join(r[2] for r in rows)
    found = [int(w) for w in text.split("Revision ")[1:] for w in [w.split(" ", 1)[0]] if w.isdigit()]
    return max(found, default=0)


def inspect(settings: Settings, expected: dict[str, int] | None) -> dict[str, Any]:
    """Compare the catalog, the vector store and the BM25 files of ``settings.data_dir``."""
    c = build_components(settings)
    try:
        c.open_index()
        records = c.catalog.documents()
        complete = {r.meta.doc_id for r in records if r.status == "complete"}
        unfinished = sorted(c.catalog.unfinished())
        catalog_chunks: dict[str, set[str]] = {
            r.meta.doc_id: c.catalog.chunk_ids(r.meta.doc_id) for r in records
        }
        complete_chunks = {cid for d in complete for cid in catalog_chunks[d]}
        all_chunks = {cid for ids in catalog_chunks.values() for cid in ids}
        store_ids = c.store.ids()
        bm25_ids, bm25_version = _bm25_files(index_dir(settings) / "bm25")
        lexical_version = c.catalog.lexical_version()
        stale_revisions: list[str] = []
        if expected:
            for doc_id, revision in expected.items():
                if doc_id in complete and _revision_of(c.catalog.chunk_rows(doc_id)) != revision:
                    stale_revisions.append(doc_id)
    finally:
        c.close()
    counts = Counter(bm25_ids)
    report: dict[str, Any] = {
        "documents": len(records),
        "complete": len(complete),
        "unfinished": unfinished,
        "catalog_chunks": len(all_chunks),
        "store_chunks": len(store_ids),
        "missing_in_store": sorted(complete_chunks - store_ids)[:20],
        "missing_in_store_count": len(complete_chunks - store_ids),
        "orphans_in_store_count": len(store_ids - all_chunks),
        "bm25_chunks": len(bm25_ids),
        "bm25_duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "bm25_version": bm25_version,
        "catalog_lexical_version": lexical_version,
        "bm25_missing_count": len(complete_chunks - set(bm25_ids)),
        "bm25_extra_count": len(set(bm25_ids) - complete_chunks),
    }
    report["lexical_consistent"] = (
        bm25_version == lexical_version
        and report["bm25_missing_count"] == 0
        and report["bm25_extra_count"] == 0
        and report["bm25_duplicates"] == 0
    )
    if expected is not None:
        report["lost"] = sorted(set(expected) - complete)
        report["unexpected"] = sorted({r.meta.doc_id for r in records} - set(expected))
        report["stale_revisions"] = sorted(stale_revisions)
    report["consistent"] = (
        report["lexical_consistent"]
        and not unfinished
        and report["missing_in_store_count"] == 0
        and report["orphans_in_store_count"] == 0
        and not report.get("lost")
        and not report.get("unexpected")
        and not report.get("stale_revisions")
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the comparison as JSON; exit 0 when consistent, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m eval.faults.consistency", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--expected", type=Path, default=None, help="JSON {doc_id: revision}")
    parser.add_argument("--chroma-port", type=int, default=None, help="a Chroma server on 127.0.0.1")
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {"data_dir": args.data_dir}
    if args.chroma_port:
        overrides["store"] = {"host": "127.0.0.1", "port": args.chroma_port}
    expected = json.loads(args.expected.read_text()) if args.expected else None
    report = inspect(Settings(**overrides), expected)
    print(json.dumps(report))
    return 0 if report["consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
