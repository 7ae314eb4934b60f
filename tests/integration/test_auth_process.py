"""Access control across processes: keys made with the `rag-keys` console script, checked by a `rag-serve`
process over loopback HTTP, and a revocation by `rag-keys` honoured by the running service within seconds."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import BIN, rag_serve

pytestmark = [pytest.mark.integration, pytest.mark.process]

# KeyService's cache time (5 s) is the stated bound; the margin covers a loaded machine.
REVOCATION_BOUND_S = 5.0


def rag_keys(data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "rag-keys"), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_rag_serve_with_auth_on_checks_keys_from_rag_keys_and_honours_revocation(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    reader = rag_keys(data_dir, "create", "ward-7", "--role", "reader").strip().splitlines()[-1]
    env = {"RAG_DATA_DIR": str(data_dir), "RAG_AUTH__ENABLED": "true", "RAG_AUTH__RATE_PER_MINUTE": "0"}
    log = tmp_path / "serve.log"
    with rag_serve(env, log, ready=False) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert httpx.get(f"{base}/v1/facets").status_code == 401
        auth = {"Authorization": f"Bearer {reader}"}
        assert httpx.get(f"{base}/v1/facets", headers=auth).status_code == 200
        assert httpx.delete(f"{base}/v1/documents/x", headers=auth).status_code == 403
        assert httpx.get(f"{base}/v1/facets", headers={"Host": "attacker.example"}).status_code == 400
        rag_keys(data_dir, "revoke", "ward-7")
        revoked_at = time.monotonic()
        while httpx.get(f"{base}/v1/facets", headers=auth).status_code == 200:
            assert time.monotonic() - revoked_at < REVOCATION_BOUND_S + 2.0, "revocation not honoured in time"
            time.sleep(0.2)
        assert httpx.get(f"{base}/v1/facets", headers=auth).status_code == 401
    assert "AUTHENTICATION IS OFF" not in log.read_text()


def test_rag_serve_with_auth_off_says_so_loudly(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with rag_serve({"RAG_DATA_DIR": str(tmp_path / "data")}, log, ready=False) as base:
        assert httpx.get(f"{base}/v1/facets").status_code == 200
    text = log.read_text()
    assert "AUTHENTICATION IS OFF" in text and '"level":"WARNING"' in text.replace(" ", "")
