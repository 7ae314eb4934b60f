"""The FeedbackStore contract against SQLite (the default) and a real PostgreSQL server.

The PostgreSQL server is a throwaway cluster on loopback: ``initdb`` into a temporary folder (as the
``postgres`` user when the tests run as root, since initdb refuses root), ``postgres`` on a free port, one
database per test. ``scripts/setup.sh test`` installs the server binaries when they are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag_service.adapters.sql_feedback import SqlFeedbackStore
from tests.contracts.feedback_store import FeedbackStoreContract, MakeStore
from tests.helpers import free_port


@pytest.mark.unit
class TestSqliteFeedbackStore(FeedbackStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> MakeStore:
        return lambda: SqlFeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(cmd: list[str]) -> list[str]:
    """The command run as ``postgres`` when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[tuple[int, Path]]:
    """A PostgreSQL server on 127.0.0.1 for this module; yields its port and its bin folder."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("POSTGRESQL TESTS NOT RUN: no initdb found (scripts/setup.sh test installs postgresql)")
    root = Path(tempfile.mkdtemp(prefix="rag-pg-"))
    root.chmod(0o777)  # the server user must reach its data and socket folders
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    sockets.chmod(0o777)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    init = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_server_user(init), check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        _as_server_user(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                str(sockets),
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ready = [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        deadline = time.monotonic() + 60
        while subprocess.run(ready, capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the PostgreSQL server did not start (exit {server.poll()})")
            time.sleep(0.2)
        yield port, bin_dir
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.integration
@pytest.mark.process
class TestPostgresFeedbackStore(FeedbackStoreContract):
    @pytest.fixture
    def make_store(
        self, postgres_server: tuple[int, Path], request: pytest.FixtureRequest
    ) -> Iterator[MakeStore]:
        port, bin_dir = postgres_server
        name = f"feedback_{request.node.name.lower()[:40]}"
        create = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name]
        subprocess.run(create, check=True, capture_output=True)
        url = f"postgresql://postgres@127.0.0.1:{port}/{name}"
        made: list[SqlFeedbackStore] = []

        def make() -> SqlFeedbackStore:
            made.append(SqlFeedbackStore(url))
            return made[-1]

        yield make
        for store in made:
            store.close()
