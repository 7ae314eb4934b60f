"""The starting point every service benchmark shares: abstracts written as documents, keys made, all ingested."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from eval.faults.corpus import Abstract, write_doc
from eval.faults.keys import Auth, prepare
from eval.faults.procs import base_env, run_cli


def ingested(
    workdir: Path,
    sources: Sequence[Abstract],
    tag: str,
    store_env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> tuple[Auth, dict[str, str]]:
    """Write ``sources`` as documents ``{tag}0000``... under ``workdir/corpus``, create keys for
    ``workdir/data`` and ingest them with ``rag-ingest``; returns the keys and the children's environment.

    Raises:
        SystemExit: The ingest failed (its stderr's tail is in the message).
    """
    corpus, data = workdir / "corpus", workdir / "data"
    for i, source in enumerate(sources):
        write_doc(corpus, f"{tag}{i:04d}", source)
    auth = prepare(data, store_env)
    env = base_env(data, {**auth.env(), **(store_env or {})})
    done = run_cli(["rag-ingest", str(corpus), "--json", "--no-progress"], env, timeout=timeout)
    if done.returncode != 0:
        where = " against the Chroma server" if store_env else ""
        raise SystemExit(f"rag-ingest{where} failed: {done.stderr[-500:]}")
    return auth, env
