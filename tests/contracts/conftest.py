"""Shared fixtures of the contract suites: a throwaway PostgreSQL server on loopback.

The server is ``initdb`` into a temporary folder (as the ``postgres`` user when the tests run as root, since
initdb refuses root), ``postgres`` on a free port; each test creates its own database with ``new_database``.
``scripts/setup.sh test`` installs the server binaries when they are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import free_port


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[int, Path]]:
    """A PostgreSQL server on 127.0.0.1 for the whole run; yields its port and its bin folder."""
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


@pytest.fixture
def new_database(postgres_server: tuple[int, Path], request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Create a fresh database named after the test (and ``prefix``) and return its SQLAlchemy URL."""
    port, bin_dir = postgres_server

    def create(prefix: str) -> str:
        name = f"{prefix}_{request.node.name.lower()}"
        name = "".join(ch if ch.isalnum() else "_" for ch in name)[:60]
        cmd = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name]
        subprocess.run(cmd, check=True, capture_output=True)
        return f"postgresql://postgres@127.0.0.1:{port}/{name}"

    return create
