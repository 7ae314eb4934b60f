"""``rag-audit export`` (date filters, JSONL, one-line usage errors) and the one record each ``rag-ingest`` run
writes, read back through the export."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.cli import main as rag_ingest
from rag_service.adapters.sql_audit import SqlAuditStore
from rag_service.audit_cli import main as rag_audit
from rag_service.domain.audit import AuditRecord
from rag_service.settings import Settings
from tests.corpora import RECORDS
from tests.helpers import run_main, write_jsonl

pytestmark = pytest.mark.integration

MOMENTS = {
    "late-nov": datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
    "dec-1": datetime(2026, 12, 1, tzinfo=UTC),
    "mid-dec": datetime(2026, 12, 15, 12, 0, tzinfo=UTC),
    "dec-31": datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    "jan-1": datetime(2027, 1, 1, tzinfo=UTC),
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose audit trail holds one search record at each of MOMENTS (written out of order)."""
    data = tmp_path / "data"
    store = SqlAuditStore(Settings(data_dir=data).audit_url())
    for name in reversed(MOMENTS):
        store.append(
            AuditRecord(
                id=name,
                time=MOMENTS[name],
                key_name="ward-7",
                endpoint="/v1/search",
                method="POST",
                request_id=f"req-{name}",
                status=200,
                latency_ms=3.25,
                question_sha256="cd" * 32,
            )
        )
    store.close()
    return data


def export(data: Path, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = run_main(rag_audit, "export", "--data-dir", str(data), *args)
    return code, [json.loads(line) for line in out.splitlines()], err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "2026-12-01"], ["dec-1", "mid-dec", "dec-31", "jan-1"]),
        (["--since", "2026-12-01", "--until", "2026-12-31"], ["dec-1", "mid-dec", "dec-31"]),
        (["--since", "2026-12-15T14:00:00+02:00", "--until", "2027-01-01T00:00:00"], ["mid-dec", "dec-31"]),
        (["--since", "2027-02-01"], []),
    ],
)
def test_export_filters_by_date_and_writes_jsonl_in_time_order(
    data_dir: Path, args: list[str], expected: list[str]
) -> None:
    code, rows, err = export(data_dir, *args)
    assert code == 0, err
    assert [r["id"] for r in rows] == expected
    for row in rows:
        assert datetime.fromisoformat(row["time"]) == MOMENTS[row["id"]]
        assert row["time"].endswith("+00:00")
        assert row["key_name"] == "ward-7" and row["question_text"] is None and row["documents"] == []


def test_export_to_a_file(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "audit.jsonl"
    code, rows, err = export(data_dir, "--since", "2026-12-01", "--until", "2026-12-01", "--out", str(out))
    assert code == 0 and rows == []
    assert "wrote 1 record(s)" in err
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["request_id"] == "req-dec-1"


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "yesterday"],
        ["--since", "2026-13-01"],
        ["--since", "2026-12-01", "--until", "31/12/2026"],
        ["--since", "2026-12-02", "--until", "2026-12-01T12:00:00Z"],
    ],
)
def test_a_bad_date_is_one_line_of_error_and_exit_2(data_dir: Path, args: list[str]) -> None:
    code, rows, err = export(data_dir, *args)
    assert code == 2 and rows == []
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")


def test_each_ingest_run_writes_one_record_with_the_documents_it_changed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    corpus = write_jsonl(tmp_path / "records.jsonl", RECORDS)
    code, _, err = run_main(rag_ingest, "--json", "--no-progress", "--data-dir", str(data), str(corpus))
    assert code == 0, err
    edited = [{**r, "text": f"{r['text']} Updated."} if r["id"] == "pmid-1" else r for r in RECORDS]
    write_jsonl(corpus, edited)
    code, _, err = run_main(rag_ingest, "--json", "--no-progress", "--data-dir", str(data), str(corpus))
    assert code == 0, err
    code, _, err = run_main(
        rag_ingest, "--json", "--data-dir", str(data), "--delete", "pmid-2", "no-such-doc"
    )
    assert code == 1, err  # one id was unknown

    code, rows, err = export(data, "--since", datetime.now(UTC).date().isoformat())
    assert code == 0, err
    first, second, deletion = rows
    for row in rows:
        assert row["endpoint"] == "rag-ingest" and row["key_name"] == f"cli:{getpass.getuser()}"
        assert row["question_sha256"] is None and row["latency_ms"] > 0
    assert (first["method"], first["status"]) == ("INGEST", 0)
    assert sorted(first["affected_doc_ids"]) == sorted(str(r["id"]) for r in RECORDS)
    assert first["counts"]["documents_added"] == len(RECORDS) and first["counts"]["files_ingested"] == 1
    assert second["affected_doc_ids"] == ["pmid-1"]
    assert second["counts"]["documents_replaced"] == 1 and second["counts"]["documents_added"] == 0
    assert (deletion["method"], deletion["status"]) == ("DELETE", 1)
    assert deletion["affected_doc_ids"] == ["pmid-2"] and deletion["counts"]["documents_removed"] == 1
