"""``rag-keys``: create, list and revoke the API keys the service accepts.

``rag-keys create NAME --role reader`` prints the new key once, as the last line of standard output (so a
script can capture it with ``| tail -n 1``); only its SHA-256 is stored, so a lost key cannot be shown again,
only revoked and replaced. The key database is the service's: ``RAG_AUTH__DATABASE_URL``, or
``RAG_DATA_DIR/keys.sqlite3``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rag_service.bootstrap import build_key_store
from rag_service.cli_settings import load_cli_settings
from rag_service.domain.auth import ApiKey, Role
from rag_service.domain.errors import RagError
from rag_service.services.keys import KeyService

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
ROLES = [r.label for r in Role]


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of rag-keys."""
    p = argparse.ArgumentParser(
        prog="rag-keys",
        description="Manage the service's API keys. Roles: reader (search, ask, chat, feedback), editor (also "
        "upload, ingest and delete documents), admin (also manage keys).",
    )
    p.add_argument("--data-dir", type=Path, help="override RAG_DATA_DIR (where keys.sqlite3 lives)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub = p.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a key and print it once (last line of output)")
    create.add_argument("name", help="a name for the key: who or what uses it (1-64 of A-Z a-z 0-9 . _ @ -)")
    create.add_argument(
        "--role", choices=ROLES, default="reader", help="what the key may do (default: reader)"
    )
    sub.add_parser("list", help="list keys: name, role, prefix, created, revoked (never the keys)")
    revoke = sub.add_parser("revoke", help="revoke a key; the service refuses it within seconds")
    revoke.add_argument("name")
    return p


def _row(key: ApiKey) -> dict[str, str | None]:
    return {
        "name": key.name,
        "role": key.role.label,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(timespec="seconds"),
        "revoked_at": key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else None,
    }


def _table(keys: list[ApiKey]) -> str:
    rows = [["NAME", "ROLE", "PREFIX", "CREATED", "REVOKED"]]
    for k in keys:
        r = _row(k)
        rows.append(
            [str(r["name"]), str(r["role"]), str(r["prefix"]), str(r["created_at"]), r["revoked_at"] or "-"]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in rows
    )


def run(args: argparse.Namespace, keys: KeyService) -> int:
    """Carry out one parsed command."""
    if args.command == "create":
        issued = keys.create(args.name, Role.parse(args.role))
        if args.json:
            print(json.dumps({**_row(issued.key), "key": issued.token}))
            return EXIT_OK
        print(f"created {issued.key.role.label} key '{issued.key.name}' ({issued.key.prefix}...).")
        print("This is the only time it is shown; send it as 'Authorization: Bearer <key>':")
        # The bare key alone on the last line, for scripts: KEY=$(rag-keys create ... | tail -n 1).
        print(issued.token)
        return EXIT_OK
    if args.command == "list":
        listed = keys.list()
        if args.json:
            print(json.dumps([_row(k) for k in listed]))
        else:
            sys.stdout.write(_table(listed))
        return EXIT_OK
    key = keys.revoke(args.name)
    if args.json:
        print(json.dumps(_row(key)))
    else:
        print(f"revoked key '{key.name}' at {_row(key)['revoked_at']}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the rag-keys console script."""
    args = build_parser().parse_args(argv)
    settings = load_cli_settings(args.data_dir)
    if settings is None:
        return EXIT_USAGE
    keys = KeyService(build_key_store(settings))
    try:
        return run(args, keys)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        keys.close()


if __name__ == "__main__":
    sys.exit(main())
