"""``rag-ingest``: add, update, list and delete documents in the index."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.demo import DemoMetadata, demo_root
from ingest.pipeline import IngestPipeline
from ingest.report import IngestReport
from ingest.sources import discover, parse_meta_flags
from rag_service.adapters.file_lock import ServingLock
from rag_service.bootstrap import Components, build_components
from rag_service.domain.audit import AuditDetails
from rag_service.domain.documents import DOC_TYPES
from rag_service.domain.errors import RagError
from rag_service.logs import configure_logging
from rag_service.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of rag-ingest."""
    p = argparse.ArgumentParser(
        prog="rag-ingest",
        description="Ingest documents (PDF, HTML, Markdown, text, PubMed/PMC/MedQuAD XML, JSONL) into the index. "
        "Re-running on unchanged files writes nothing.",
    )
    p.add_argument("paths", nargs="*", type=Path, help="files or folders to ingest (folders are walked)")
    p.add_argument(
        "--demo", action="store_true", help="ingest the bundled demo corpus (open-medicine summaries)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--prune", action="store_true", help="remove documents whose files no longer exist")
    p.add_argument("--delete", nargs="+", metavar="DOC_ID", help="delete documents by id and exit")
    p.add_argument("--list", action="store_true", help="list ingested documents and exit")
    p.add_argument(
        "--check",
        action="store_true",
        help="check the catalog, the vector store and the keyword index agree (read-only), and exit",
    )
    p.add_argument(
        "--rebuild-lexical",
        action="store_true",
        help="rebuild the keyword (BM25) index from the catalog, e.g. after a crash left it stale, and exit",
    )
    p.add_argument(
        "--upgrade",
        action="store_true",
        help="encode and store the sentence vectors of every passage not yet covered (an index built before "
        "they were stored at ingest), and exit; safe while the service runs",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--data-dir", type=Path, help="override RAG_DATA_DIR")
    meta = p.add_argument_group("metadata applied to every ingested document (overrides sidecars)")
    meta.add_argument("--doc-type", choices=DOC_TYPES)
    meta.add_argument("--organisation")
    meta.add_argument("--journal")
    meta.add_argument("--year", type=int)
    meta.add_argument(
        "--version", dest="doc_version", metavar="VERSION", help="edition or date of the documents"
    )
    meta.add_argument("--series", metavar="SERIES_ID", help="guideline family id shared by all its editions")
    meta.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="any other metadata")
    return p


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = dict(parse_meta_flags(args.meta))
    named = {
        "doc_type": args.doc_type,
        "organisation": args.organisation,
        "journal": args.journal,
        "year": args.year,
        "version": args.doc_version,
        "series_id": args.series,
    }
    out.update({k: v for k, v in named.items() if v is not None})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the rag-ingest console script."""
    args = build_parser().parse_args(argv)
    err = Console(stderr=True)
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
        configure_logging(settings.log_level if not args.json else "WARNING")
        overrides = _overrides(args)
    except (ValidationError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        return EXIT_USAGE
    if not (
        args.paths
        or args.demo
        or args.delete
        or args.list
        or args.prune
        or args.check
        or args.rebuild_lexical
        or args.upgrade
    ):
        err.print(
            "[red]error:[/red] give PATH..., --demo, --prune, --list, --check, --rebuild-lexical, --upgrade "
            "or --delete DOC_ID"
        )
        return EXIT_USAGE
    components = build_components(settings)
    # Embedded Chroma: a write while rag-serve holds the data directory would go unseen by it; refuse.
    read_only = args.list or args.check or args.rebuild_lexical or args.upgrade
    owner = None if read_only or settings.store.host else ServingLock(Path(settings.data_dir), "rag-ingest")
    try:
        if owner is not None:
            owner.acquire()
        with components.writer_lock():
            components.open_index()
            if args.list:
                return _list(components, args.json)
            if args.check:
                return _check(components, args.json)
            if args.rebuild_lexical:
                return _rebuild_lexical(components, args.json)
            if args.upgrade:
                return _upgrade(components, args.json)
            counts: dict[str, int] = {}
            if args.delete:
                return _audited(
                    components, "DELETE", lambda: _delete(components, args.delete, args.json), counts, err
                )
            return _audited(
                components, "INGEST", lambda: _ingest(components, args, overrides, err, counts), counts, err
            )
    except RagError as exc:
        err.print(f"[red]error:[/red] {exc}")
        return EXIT_USAGE
    finally:
        components.close()
        if owner is not None:
            owner.release()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. a container user)
        return f"uid{os.getuid()}"


def _documents(components: Components) -> dict[str, str]:
    return {r.meta.doc_id: r.content_hash for r in components.catalog.documents()}


def _audited(
    components: Components, method: str, run: Callable[[], int], counts: dict[str, int], err: Console
) -> int:
    """Run an ingest or a delete and write its one audit record: which documents it added, replaced or
    removed (found by comparing the catalog before and after) and its counts. A record that cannot be written
    makes the run fail (exit 1) after the work is done; nothing is undone."""
    audit = components.audit
    if not audit.enabled:
        return run()
    before = _documents(components)
    started = time.perf_counter()
    code, error_code = EXIT_FAILED, None
    try:
        code = run()
    except RagError as exc:
        code, error_code = EXIT_USAGE, exc.code
        raise
    finally:
        try:
            after = _documents(components)
        except RagError:  # the catalog failed with the run: the counts still say what happened
            after = before
        added = sorted(after.keys() - before.keys())
        replaced = sorted(d for d in after.keys() & before.keys() if after[d] != before[d])
        removed = sorted(before.keys() - after.keys())
        details = AuditDetails(
            backend="ingest",
            model=components.embedder.model_id,
            affected_doc_ids=tuple(added + replaced + removed),
            counts=counts
            | {
                "documents_added": len(added),
                "documents_replaced": len(replaced),
                "documents_removed": len(removed),
            },
        )
        try:
            audit.record(
                key_name=f"cli:{_os_user()}",
                endpoint="rag-ingest",
                method=method,
                request_id=uuid.uuid4().hex,
                status=code,
                latency_ms=(time.perf_counter() - started) * 1000,
                details=details,
                error_code=error_code,
            )
        except RagError as exc:
            err.print(f"[red]error:[/red] the run finished but its audit record could not be written: {exc}")
            code = EXIT_FAILED if code == EXIT_OK else code
    return code


def _ingest(
    components: Components,
    args: argparse.Namespace,
    overrides: dict[str, Any],
    err: Console,
    counts: dict[str, int] | None = None,
) -> int:
    paths = list(args.paths)
    overrides_for = None
    if args.demo:
        root = demo_root()
        paths.append(root)
        overrides_for = DemoMetadata(root)
    files, missing = discover(paths)
    show = not args.no_progress and err.is_terminal
    columns = (
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=err, disable=not show) as progress:
        task = progress.add_task("", total=len(files))

        def advance(path: str) -> None:
            progress.update(task, advance=1, description=Path(path).name[:40])

        pipeline = IngestPipeline(
            components, overrides=overrides, overrides_for=overrides_for, on_file_done=advance
        )
        report = pipeline.run(files, missing=missing, prune=args.prune)
    if counts is not None:
        counts.update(
            files_seen=report.files_seen,
            files_ingested=report.ingested,
            files_unchanged=report.unchanged,
            files_failed=len(report.failed),
            chunks_written=report.chunks_written,
        )
    _print_report(report, args.json)
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_FAILED


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    out = Console()
    table = Table(title="Ingest summary", show_header=False)
    rows = [
        ("files seen", report.files_seen),
        ("ingested", report.ingested),
        ("skipped as unchanged", report.unchanged),
        ("failed", len(report.failed)),
        ("documents written", report.documents_written),
        ("documents unchanged", report.documents_unchanged),
        ("documents deleted", report.documents_deleted),
        ("chunks written", report.chunks_written),
        ("time taken", f"{report.seconds:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    out.print(table)
    for failure in report.failed:
        out.print(f"[red]failed[/red] {failure.path}: {failure.reason}", highlight=False, markup=False)
    if report.interrupted:
        out.print(
            "interrupted: nothing is half-written; run the same command again to finish", style="yellow"
        )


def _list(components: Components, as_json: bool) -> int:
    records = components.catalog.documents()
    if as_json:
        rows = [
            {**r.meta.model_dump(mode="json", exclude_none=True), "status": r.status, "chunks": r.chunk_count}
            for r in records
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    table = Table(title=f"{len(records)} documents in {components.store.collection_name}")
    for col in ("doc_id", "title", "type", "year", "chunks", "status"):
        table.add_column(col)
    for r in records:
        m = r.meta
        table.add_row(m.doc_id, m.title[:60], m.doc_type, str(m.year or ""), str(r.chunk_count), r.status)
    Console().print(table)
    return EXIT_OK


def _check(components: Components, as_json: bool) -> int:
    result = components.index.check()
    lexical = components.index.lexical_status()
    summary = {
        "ok": result.ok and lexical.current,
        "documents": components.catalog.document_count(),
        "chunks": components.catalog.chunk_count(),
        "missing_vectors": len(result.missing_vectors),
        "orphan_vectors": len(result.orphan_vectors),
        "unfinished_documents": result.unfinished_documents,
        "lexical_index": lexical.describe(),
    }
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key}: {value}")
        if result.unfinished_documents:
            print("re-run the ingest of their files to finish them", file=sys.stderr)
    if not lexical.current:
        print(f"the keyword index is {lexical.describe()}; run rag-ingest --rebuild-lexical", file=sys.stderr)
    return EXIT_OK if summary["ok"] else EXIT_FAILED


def _rebuild_lexical(components: Components, as_json: bool) -> int:
    before = components.index.lexical_status().describe()
    count = components.index.rebuild_lexical()
    result = {"was": before, "passages": count, "catalog_version": components.catalog.lexical_version()}
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(f"keyword index rebuilt from {count} passages (it was: {before})")
    return EXIT_OK


def _upgrade(components: Components, as_json: bool) -> int:
    """Fill the sentence-vector cache for every passage; texts already cached are not encoded again."""
    before = components.sentence_cache.count()
    started = time.perf_counter()
    encoded = components.sentence_vectors().precompute(components.catalog.iter_passages())
    result = {
        "texts_encoded": encoded,
        "vectors_before": before,
        "vectors_after": components.sentence_cache.count(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"sentence vectors: {encoded} texts encoded, {result['vectors_after']} stored ({result['seconds']} s)"
        )
    return EXIT_OK


def _delete(components: Components, doc_ids: list[str], as_json: bool) -> int:
    unknown = [d for d in doc_ids if components.catalog.document(d) is None]
    known = [d for d in doc_ids if d not in unknown]
    removed = components.index.delete(known)
    components.index.refresh_lexical()
    result = {"deleted": known, "not_found": unknown, "chunks_removed": removed}
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        for d in known:
            print(f"deleted {d}")
        for d in unknown:
            print(f"not found: {d}", file=sys.stderr)
    return EXIT_OK if not unknown else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
