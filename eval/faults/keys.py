"""API keys for the benchmarks: with ``rag-keys`` installed, auth stays on and each role gets a key.

Until the ``rag-keys`` console script exists, the benchmarks run with ``RAG_AUTH__ENABLED=false`` and say so in
their reports (``auth.enabled``); once it is installed they pick it up without a change here.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from eval.faults.procs import BIN, base_env, run_cli

ROLES = ("reader", "editor", "admin")


def keys_cli_installed() -> bool:
    """Whether the ``rag-keys`` console script is installed next to this interpreter."""
    return shutil.which("rag-keys", path=str(BIN)) is not None


@dataclass
class Auth:
    """Whether the service under test checks keys, and one bearer key per role when it does."""

    enabled: bool
    keys: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """Service settings: auth on or off explicitly; no per-key rate or concurrency limit (load is the test)."""
        return {
            "RAG_AUTH__ENABLED": "true" if self.enabled else "false",
            "RAG_AUTH__RATE_PER_MINUTE": "0",
            "RAG_AUTH__MAX_CONCURRENT": "0",
        }

    def headers(self, role: str = "admin") -> dict[str, str]:
        """The ``Authorization`` header of ``role`` (none when auth is off)."""
        if not self.enabled:
            return {}
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def describe(self) -> dict[str, object]:
        """What a report states about authentication (never the keys)."""
        return {"enabled": self.enabled, "roles": sorted(self.keys), "keys_cli": keys_cli_installed()}


def prepare(data_dir: Path, extra_env: Mapping[str, str] | None = None, *, want: bool = True) -> Auth:
    """Create a key per role in ``data_dir`` with ``rag-keys`` when it is installed (and ``want``).

    ``rag-keys create NAME --role ROLE`` prints the new key as the last line of its standard output.

    Raises:
        SystemExit: ``rag-keys`` exists but failed.
    """
    if not want or not keys_cli_installed():
        return Auth(enabled=False)
    env = base_env(data_dir, {"RAG_AUTH__ENABLED": "true", **(extra_env or {})})
    keys: dict[str, str] = {}
    for role in ROLES:
        done = run_cli(["rag-keys", "create", f"bench-{role}", "--role", role], env, timeout=120)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise SystemExit(f"rag-keys create failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        keys[role] = lines[-1].strip()
    return Auth(enabled=True, keys=keys)
