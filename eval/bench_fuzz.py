"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis), and every route's access control.

Run::

    python -m eval.bench_fuzz [--quick] [--max-examples N] [--out eval/reports/fuzz.json]

Starts ``rag-serve`` on loopback over a few PubMedQA abstracts in a temporary data directory, with API keys
from ``rag-keys`` (auth on; without ``rag-keys`` installed it falls back to ``RAG_AUTH__ENABLED=false`` and
the report says so). Then:

1. **access control**: every operation of ``/openapi.json`` is called without a key (401 expected unless
   the schema marks it public), with a wrong key (401) and with each role below the one the schema states
   for it (403 expected);
2. **fuzzing**: ``st run`` with an admin key over every phase (examples, coverage, fuzzing, stateful) and
   every check schemathesis has (``not_a_server_error`` is the one that must find nothing); its NDJSON event
   stream is read back for the figures: cases run per phase, failures per check, 5xx responses, a sample of
   failures with the request that caused them (``curl`` line) and the response.

The stateful phase deletes documents through ``DELETE /v1/documents/{doc_id}``: that is why the data
directory is a throwaway one.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from eval.faults.corpus import abstracts
from eval.faults.index import ingested
from eval.faults.keys import ROLES, Auth
from eval.faults.procs import rag_serve, script
from eval.faults.table import note, save, show

ALL_PHASES = "examples,coverage,fuzzing,stateful"
# The coverage phase alone sends ~900 requests whatever --max-examples says: left out of the smoke run.
QUICK_PHASES = "examples,fuzzing,stateful"
_NEEDS = re.compile(r"Needs an API key with the `(\w+)` role")


def required_roles(schema: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(method, path, role or None for public) of every operation, as the schema states it."""
    out = []
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if method.lower() not in {"get", "post", "put", "patch", "delete"}:
                continue
            found = _NEEDS.search(op.get("description") or "")
            role = found.group(1) if found else ("unknown" if op.get("security") else None)
            out.append((method.upper(), path, role))
    return out


def access_matrix(base: str, auth: Auth) -> dict[str, Any]:
    """Call every operation without a key, with a bogus key and with each too-low role."""
    schema = httpx.get(f"{base}/openapi.json", timeout=30).json()
    rows: list[dict[str, Any]] = []
    for method, path, role in required_roles(schema):
        url = base + re.sub(r"\{[^}]+\}", "no-such-id", path)
        callers: list[tuple[str, dict[str, str], int | None]] = [
            ("no key", {}, 401 if role else None),
            ("unknown key", {"Authorization": "Bearer rk_not_a_real_key_000000"}, 401 if role else None),
        ]
        if role in ROLES:
            callers += [(f"{r} key", auth.headers(r), 403) for r in ROLES[: ROLES.index(role)]]
        for who, headers, want in callers:
            res = httpx.request(
                method, url, headers=headers, json={} if method != "GET" else None, timeout=60
            )
            ok = res.status_code == want if want is not None else res.status_code not in (401, 403)
            rows.append(
                {
                    "method": method,
                    "path": path,
                    "role": role,
                    "caller": who,
                    "status": res.status_code,
                    "expected": want,
                    "ok": ok,
                }
            )
    return {
        "operations": len({(r["method"], r["path"]) for r in rows}),
        "requests": len(rows),
        "refused_as_expected": sum(r["ok"] for r in rows),
        "wrong": [r for r in rows if not r["ok"]],
        "rows": rows,
    }


def fuzz(
    base: str, auth: Auth, max_examples: int, seed: int, workdir: Path, max_time: int | None, phases: str
) -> dict[str, Any]:
    """Run schemathesis over ``phases``; returns what its event stream says."""
    events_path = workdir / "events.ndjson"
    cmd = [
        script("st"),
        "run",
        f"{base}/openapi.json",
        "--phases",
        phases,
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--continue-on-failure",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(events_path),
    ]
    if max_time:
        cmd += ["--max-time", str(max_time)]
    for name, value in auth.headers("admin").items():
        cmd += ["-H", f"{name}: {value}"]
    started = time.monotonic()
    # In the temporary folder: schemathesis keeps its example database in .schemathesis/ of the cwd.
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=workdir)
    seconds = time.monotonic() - started
    (workdir / "st.out").write_text(done.stdout + done.stderr)
    result = read_events(events_path)
    result["st_exit"] = done.returncode
    result["seconds"] = round(seconds, 1)
    result["st_summary_tail"] = _summary_tail(done.stdout)
    return result


def _summary_tail(stdout: str) -> str:
    lines = stdout.strip().splitlines()
    return "\n".join(lines[-25:])


def _decode(content: Any) -> str:
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    return "" if content is None else str(content)


def read_events(path: Path) -> dict[str, Any]:
    """Cases per phase, failures per check and a sample of them, from schemathesis' NDJSON events."""
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: Counter[str] = Counter()
    samples: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str, str]] = set()
    errors: list[str] = []
    if not path.is_file():
        return {"error": f"no event stream at {path}"}
    for line in path.read_text().splitlines():
        event = json.loads(line)
        ((kind, body),) = event.items() if len(event) == 1 else (("?", event),)
        if kind == "ScenarioFinished":
            phase = str(body.get("phase") or "?")
            recorder = body.get("recorder") or {}
            interactions = recorder.get("interactions") or {}
            for inter in interactions.values():
                cases[phase] += 1
                response = inter.get("response") or {}
                if response.get("status_code") is not None:
                    statuses[int(response["status_code"])] += 1
            for case_id, case_checks in (recorder.get("checks") or {}).items():
                for check in case_checks:
                    if check.get("status") != "failure":
                        continue
                    name = check.get("name", "?")
                    failures[name] += 1
                    detail = (check.get("failure_info") or {}).get("failure") or {}
                    key = (name, str(detail.get("title")), str(detail.get("operation")))
                    if key in seen:
                        continue
                    seen.add(key)
                    case = ((recorder.get("cases") or {}).get(case_id) or {}).get("value") or {}
                    response = (interactions.get(case_id) or {}).get("response") or {}
                    samples.setdefault(name, []).append(
                        {
                            "operation": detail.get("operation"),
                            "title": detail.get("title"),
                            "message": str(detail.get("message") or "")[:400],
                            "request": {
                                "method": case.get("method"),
                                "path": case.get("path"),
                                "path_parameters": case.get("path_parameters"),
                                "query": case.get("query"),
                                "body": json.dumps(case.get("body"))[:400] if "body" in case else None,
                                "scenario": ((case.get("meta") or {}).get("phase") or {}).get("data"),
                            },
                            "response": {
                                "status": response.get("status_code"),
                                "body": _decode(response.get("content"))[:400],
                            },
                        }
                    )
        elif kind in {"NonFatalError", "FatalError"}:
            errors.append(json.dumps(body)[:500])
    return {
        "cases": sum(cases.values()),
        "cases_by_phase": dict(cases),
        "responses_by_status": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "failures_by_check": dict(failures),
        "distinct_failures_by_check": {k: len(v) for k, v in samples.items()},
        "failure_samples": {k: v[:8] for k, v in samples.items()},
        "errors": errors[:10],
    }


def main(argv: list[str] | None = None) -> int:
    """Start the service, check access control, fuzz it, print the figures and write the report."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_fuzz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a short run (smoke test)")
    parser.add_argument("--max-examples", type=int, default=None, help="cases per operation and phase")
    parser.add_argument("--max-time", type=int, default=None, help="seconds schemathesis may run")
    parser.add_argument("--documents", type=int, default=None, help="PubMedQA abstracts indexed")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    max_examples = args.max_examples or (3 if args.quick else 600)
    docs = args.documents or (3 if args.quick else 30)
    out = args.out or Path("eval/reports") / ("fuzz_quick.json" if args.quick else "fuzz.json")
    workdir = Path(tempfile.mkdtemp(prefix="bench-fuzz-"))
    try:
        auth, env = ingested(workdir, abstracts()[:docs], "f", timeout=600)
        with rag_serve(env, workdir / "serve.log") as svc:
            access: dict[str, Any] = (
                access_matrix(svc.base, auth) if auth.enabled else {"skipped": "auth is off (no rag-keys)"}
            )
            phases = QUICK_PHASES if args.quick else ALL_PHASES
            fuzzed = fuzz(svc.base, auth, max_examples, args.seed, workdir, args.max_time, phases)
            alive = httpx.get(f"{svc.base}/healthz", timeout=30).status_code
            tracebacks = svc.log_tail(10**7).count("Traceback")
        report = {
            "auth": auth.describe(),
            "documents": docs,
            "max_examples": max_examples,
            "phases": phases,
            "seed": args.seed,
            "access_control": access,
            "fuzz": fuzzed,
            "healthz_after": alive,
            "tracebacks_in_service_log": tracebacks,
        }
        show(
            f"schemathesis against rag-serve (auth {'on' if auth.enabled else 'OFF'})",
            ("figure", "value"),
            [
                ("cases run", fuzzed.get("cases")),
                *((f"  {phase}", n) for phase, n in sorted((fuzzed.get("cases_by_phase") or {}).items())),
                ("5xx responses", fuzzed.get("server_errors_5xx")),
                ("tracebacks in the service log", tracebacks),
                ("/healthz after the run", alive),
                ("seconds", fuzzed.get("seconds")),
            ],
        )
        show(
            "failures per check (distinct)",
            ("check", "failures", "distinct"),
            [
                (k, v, (fuzzed.get("distinct_failures_by_check") or {}).get(k))
                for k, v in sorted((fuzzed.get("failures_by_check") or {}).items())
            ],
        )
        if "rows" in access:
            show(
                "access control over every OpenAPI operation",
                ("figure", "value"),
                [
                    ("operations", access["operations"]),
                    ("requests (no key, unknown key, lower roles)", access["requests"]),
                    ("refused as expected", access["refused_as_expected"]),
                    ("not as expected", len(access["wrong"])),
                ],
            )
            for w in access["wrong"][:10]:
                note(
                    f"  {w['caller']}: {w['method']} {w['path']} -> {w['status']} (expected {w['expected']})"
                )
        save(report, out)
    finally:
        if args.keep:
            note(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
