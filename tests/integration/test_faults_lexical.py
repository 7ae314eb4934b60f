"""A keyword index left stale or damaged by a crash is found, reported exactly and rebuilt.

Every write bumps the catalog before the BM25 index is rebuilt; a `kill -9` in between leaves BM25 files older
than the catalog and the vector store. The crash is simulated by putting back the BM25 files of an earlier
build (or damaging them) after a later ingest.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.cli import main as rag_ingest
from rag_service.api.app import create_app
from rag_service.bootstrap import Components, index_dir
from tests.corpora import RECORDS
from tests.helpers import ingest, run_main, write_jsonl

pytestmark = pytest.mark.integration


def _stale_index(make: Callable[..., Components], tmp_path: Path) -> tuple[Components, int]:
    """Ingest half the corpus, keep its BM25 files, ingest the rest, put the old files back (the crash)."""
    c = make()
    c.open_index()
    half = len(RECORDS) // 2
    assert ingest(c, write_jsonl(tmp_path / "first.jsonl", RECORDS[:half])).ok
    bm25 = index_dir(c.settings) / "bm25"
    old_count = c.catalog.chunk_count()
    shutil.copytree(bm25, tmp_path / "bm25-old")
    assert ingest(c, write_jsonl(tmp_path / "second.jsonl", RECORDS[half:])).ok
    assert c.catalog.chunk_count() > old_count
    shutil.rmtree(bm25)
    shutil.copytree(tmp_path / "bm25-old", bm25)
    return c, old_count


def test_check_reports_a_stale_keyword_index_and_rebuild_lexical_fixes_it(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    c, old_count = _stale_index(make_components, tmp_path)
    data = str(c.settings.data_dir)
    c.close()
    code, out, err = run_main(rag_ingest, "--check", "--json", "--data-dir", data)
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert report["lexical_index"].startswith(f"stale (built from {old_count} passages at catalog version")
    assert f"the catalog has {report['chunks']} passages" in report["lexical_index"]
    assert "run rag-ingest --rebuild-lexical" in err

    code, out, _ = run_main(rag_ingest, "--rebuild-lexical", "--json", "--data-dir", data)
    assert code == 0 and json.loads(out)["passages"] == report["chunks"]
    code, out, _ = run_main(rag_ingest, "--check", "--json", "--data-dir", data)
    assert code == 0 and json.loads(out)["lexical_index"] == "ok"


def test_the_service_rebuilds_a_stale_keyword_index_at_start(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    c, _ = _stale_index(make_components, tmp_path)
    assert not c.index.lexical_status().current
    with TestClient(create_app(c.settings, components=c)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["lexical_index"] == "ok"
        assert c.index.lexical_status().current and c.lexical.built_count() == c.catalog.chunk_count()


def test_readiness_says_why_while_a_writer_holds_the_index_and_rebuilds_once_it_is_gone(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    c, old_count = _stale_index(make_components, tmp_path)
    # An ingest is running in another process (holding the writer lock): nobody else may rebuild.
    with c.writer_lock(), TestClient(create_app(c.settings, components=c)) as client:
        busy = client.get("/readyz")
        reason = busy.json()["checks"]["lexical_index"]
        # The older index keeps serving meanwhile, so the service stays ready and says why.
        assert busy.status_code == 200 and reason.startswith("updating: stale (built from")
        assert f"{old_count} passages" in reason
    with TestClient(create_app(c.settings, components=c)) as client:
        assert client.get("/readyz").json()["checks"]["lexical_index"] == "ok"


def test_a_damaged_keyword_index_is_rebuilt_not_fatal(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    c = make_components()
    c.open_index()
    assert ingest(c, write_jsonl(tmp_path / "records.jsonl", RECORDS)).ok
    bm25 = index_dir(c.settings) / "bm25"
    (bm25 / "ids.json").write_text('{"chunks": ["only-one"], "docs": [')  # torn write
    with TestClient(create_app(c.settings, components=c)) as client:
        assert client.get("/readyz").json()["checks"]["lexical_index"] == "ok"
    assert json.loads((bm25 / "ids.json").read_text())["chunks"]


def test_readiness_names_the_command_when_the_index_cannot_be_rebuilt(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    c, _ = _stale_index(make_components, tmp_path)
    with TestClient(create_app(c.settings, components=c)) as client:
        bm25 = index_dir(c.settings) / "bm25"
        # The rebuild at start worked. Now a write crashes before its rebuild (only the catalog's version
        # moves), and the place a rebuild is written to is blocked (as a full or read-only disk would).
        c.catalog.finish_delete([])
        blocker = bm25.with_name("bm25.tmp")
        blocker.write_text("not a directory")
        try:
            res = client.get("/readyz")
        finally:
            blocker.unlink()
        reason = res.json()["checks"]["lexical_index"]
        assert res.status_code == 503 and reason.startswith("stale (built from")
        assert "rebuilding failed (FileExistsError)" in reason
        assert reason.endswith("run rag-ingest --rebuild-lexical")
        # Once the disk is writable again the next probe rebuilds it.
        assert client.get("/readyz").status_code == 200
