"""``rag-audit``: export the audit trail as JSON lines.

``rag-audit export --since 2026-12-01 [--until 2026-12-31] [--out FILE]``: one record a line, oldest first.
Dates are ISO 8601 dates or date-times; a time without a zone is UTC. ``--since`` is inclusive; a date-only
``--until`` includes that whole day, a date-time ``--until`` is exclusive.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from rag_service.bootstrap import build_audit
from rag_service.cli_settings import load_cli_settings
from rag_service.domain.errors import RagError
from rag_service.services.audit import AuditService

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _UsageError(ValueError):
    """A command-line value that cannot be used; the message is one line."""


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """An ISO date or date-time as an aware UTC instant; a date alone is the start of that day, or of the
    next day when ``end`` is set (so ``--until 2026-12-31`` includes the 31st).

    Raises:
        _UsageError: The text is neither.
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _UsageError(
            f"expected an ISO date (2026-12-01) or date-time (2026-12-01T08:00Z), got {text!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of rag-audit."""
    p = argparse.ArgumentParser(
        prog="rag-audit",
        description="Read the append-only audit trail of searches, answers, ingests and deletes.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    export = sub.add_parser(
        "export",
        help="write audit records as JSON lines",
        description="Write the audit records from --since (inclusive) to --until as JSON lines, oldest first. "
        "A date alone means midnight UTC; a date-only --until includes that day.",
    )
    export.add_argument(
        "--since", required=True, metavar="DATE", help="first date or date-time (UTC if no zone)"
    )
    export.add_argument("--until", metavar="DATE", help="last date (inclusive) or date-time (exclusive)")
    export.add_argument("--out", type=Path, help="output file (default: standard output)")
    export.add_argument("--data-dir", type=Path, help="override RAG_DATA_DIR")
    return p


def _write(audit: AuditService, since: datetime, until: datetime | None, out: TextIO) -> int:
    written = 0
    for record in audit.export(since, until):
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        written += 1
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the rag-audit console script."""
    args = build_parser().parse_args(argv)
    try:
        since = parse_moment(args.since)
        until = parse_moment(args.until, end=True) if args.until else None
        if until is not None and until <= since:
            raise _UsageError("--until must be later than --since")
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    settings = load_cli_settings(args.data_dir)
    if settings is None:
        return EXIT_USAGE
    audit = build_audit(settings)
    try:
        if args.out is None:
            _write(audit, since, until, sys.stdout)
        else:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with args.out.open("w", encoding="utf-8") as out:
                written = _write(audit, since, until, out)
            print(f"wrote {written} record(s) to {args.out}", file=sys.stderr)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        audit.close()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
