"""The production-readiness benchmarks run end to end in their ``--quick`` form, so they cannot rot.

Each starts real processes (``rag-ingest``, ``rag-serve``, ``st``, ``chroma run``) on loopback in temporary
directories and checks the figures a full run reports. They take over a minute each, so they are ``slow``:
out of the default run, run with ``pytest -m slow tests/integration/test_bench_smoke.py`` before changing a
benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import bench_faults, bench_fuzz, bench_load

pytestmark = [pytest.mark.integration, pytest.mark.process, pytest.mark.slow]


def _report(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_fuzz_quick_finds_no_server_error_and_every_route_refuses_without_a_key(tmp_path: Path) -> None:
    out = tmp_path / "fuzz.json"
    assert bench_fuzz.main(["--quick", "--out", str(out)]) == 0
    report = _report(out)
    fuzz = report["fuzz"]
    assert isinstance(fuzz, dict)
    assert fuzz["cases"] > 50 and {"examples", "fuzzing", "stateful"} <= set(fuzz["cases_by_phase"])
    assert fuzz["server_errors_5xx"] == 0, fuzz["failure_samples"]
    assert report["healthz_after"] == 200
    access = report["access_control"]
    assert isinstance(access, dict)
    if report["auth"]["enabled"]:  # type: ignore[index]  # a JSON object
        assert access["requests"] > access["operations"] > 10
        assert access["wrong"] == []


def test_load_quick_answers_everything_and_new_uploads_are_found(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    assert bench_load.main(["--quick", "--seconds", "6", "--upload-every", "2", "--out", str(out)]) == 0
    report = _report(out)
    endpoints = report["endpoints"]
    assert isinstance(endpoints, dict)
    assert endpoints["/v1/search"]["requests"] > 0 and endpoints["/v1/ask"]["requests"] > 0
    assert report["errors"] == 0, endpoints
    seen = report["visible_afterwards"]
    assert isinstance(seen, dict)
    assert seen["ingested"] >= 1
    assert seen["found_by_search"] == seen["found_by_get"] == seen["ingested"], seen
    assert report["peak_rss_mb"] > 100  # type: ignore[operator]  # a JSON number


@pytest.mark.slow
def test_fault_sections_quick(tmp_path: Path) -> None:
    assert bench_faults.main(["all", "--quick", "--out-dir", str(tmp_path)]) == 0
    kill = _report(tmp_path / "faults_kill_quick.json")
    assert kill["documents_lost"] == kill["documents_unexpected"] == kill["passages_orphaned"] == 0
    assert kill["lexical_inconsistent_after_recovery"] == 0
    chroma = _report(tmp_path / "faults_chroma_quick.json")
    by_phase = chroma["by_phase"]
    assert isinstance(by_phase, dict)
    assert by_phase["outage"]["requests"] > 0 and by_phase["outage"]["other"] == 0
    assert chroma["recovery_s"] is not None
    llm = _report(tmp_path / "faults_llm_quick.json")
    assert llm["clean"] == llm["requests"], llm["rows"]
    disk = _report(tmp_path / "faults_disk_quick.json")
    assert disk.get("skipped") or disk["not_intact"] == 0, disk["rows"]
