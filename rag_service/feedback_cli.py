"""``rag-feedback``: export stored feedback as evaluation items (``rag-eval run --dataset jsonl``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from rag_service.bootstrap import build_feedback_store
from rag_service.cli_settings import load_cli_settings
from rag_service.domain.errors import RagError
from rag_service.services.feedback_export import eval_item

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of rag-feedback."""
    p = argparse.ArgumentParser(
        prog="rag-feedback",
        description="Work with the feedback given on answers (POST /v1/feedback).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    export = sub.add_parser(
        "export",
        help="write feedback as JSONL evaluation items",
        description="Write feedback given since DATE as JSONL that `rag-eval run --dataset jsonl --path FILE` "
        "reads: helpful answers become items whose gold documents are the ones cited; answers rated not "
        "helpful, wrong citations and unsupported sentences become items labelled in 'group' and 'feedback'.",
    )
    export.add_argument("--since", type=_day, required=True, metavar="YYYY-MM-DD", help="first day (UTC)")
    export.add_argument("--out", type=Path, help="output file (default: standard output)")
    export.add_argument("--data-dir", type=Path, help="override RAG_DATA_DIR")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the rag-feedback console script."""
    args = build_parser().parse_args(argv)
    settings = load_cli_settings(args.data_dir)
    if settings is None:
        return EXIT_USAGE
    store = build_feedback_store(settings)
    try:
        rows = store.since(datetime.combine(args.since, datetime.min.time(), tzinfo=UTC))
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
    text = "".join(json.dumps(eval_item(f), ensure_ascii=False) + "\n" for f in rows)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(rows)} item(s) to {args.out}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
