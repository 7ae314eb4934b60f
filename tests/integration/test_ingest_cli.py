"""``rag-ingest`` through its entry function: the JSON and human summaries, list, check, delete, usage errors.

The console script itself, as a separate process, is exercised in test_processes.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.cli import main as rag_ingest
from tests.corpora import BAD, GOOD
from tests.helpers import MixedIndex, copy_index, run_main

pytestmark = pytest.mark.integration


def cli(data_dir: Path, *args: str) -> tuple[int, str, str]:
    return run_main(rag_ingest, "--data-dir", str(data_dir), *args)


def test_ingest_cli_prints_the_json_summary(mixed_index: MixedIndex) -> None:
    summary = mixed_index.summary
    for key in ("files_seen", "ingested", "unchanged", "failed", "chunks_written", "seconds"):
        assert key in summary
    assert summary["files_seen"] == len(GOOD) + len(BAD)
    assert summary["ingested"] == len(GOOD)
    failed = summary["failed"]
    assert isinstance(failed, list)
    assert {Path(f["path"]).name for f in failed} == set(BAD)
    assert all(f["reason"] for f in failed)


def test_ingest_cli_list_check_delete(mixed_index: MixedIndex, tmp_path: Path) -> None:
    corpus = mixed_index.corpus
    data = copy_index(mixed_index.data_dir, tmp_path / "data")
    code, out, _ = cli(data, "--list", "--json")
    ids = {d["doc_id"] for d in json.loads(out)}
    assert code == 0 and {"sepsis.md", "bulk-1", "pmid-22222222", "labels--warfarin.pdf"} <= ids
    code, out, _ = cli(data, "--check", "--json")
    assert code == 0 and json.loads(out)["ok"] is True

    _, out, _ = cli(data, "--json", str(corpus))
    summary = json.loads(out)
    assert summary["unchanged"] == len(GOOD) and summary["chunks_written"] == 0

    code, out, _ = cli(data, "--delete", "notes.txt", "no-such-doc", "--json")
    assert code == 1
    assert json.loads(out)["deleted"] == ["notes.txt"]
    assert json.loads(out)["not_found"] == ["no-such-doc"]
    code, out, _ = cli(data, str(corpus / "notes.txt"))
    assert code == 0
    assert "files seen" in out and "chunks written" in out


def test_a_data_directory_that_cannot_be_written_is_named_without_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    code, _, err = run_main(rag_ingest, "--data-dir", str(blocker / "data"), str(GOOD))
    assert code == 2 and "Traceback" not in err
    assert "cannot be written" in err and "RAG_DATA_DIR" in err


def test_bad_arguments_get_a_usage_error(tmp_path: Path) -> None:
    assert cli(tmp_path)[0] == 2
    code, _, err = cli(tmp_path, "--meta", "novalue", "x")
    assert code == 2 and "KEY=VALUE" in err
