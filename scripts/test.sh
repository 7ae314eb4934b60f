#!/usr/bin/env bash
# One command: install test dependencies, then lint, type-check and run the whole default test suite.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k chunking`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# shellcheck disable=SC1091
. .venv/bin/activate
ruff check .
ruff format --check .
mypy rag_service ingest eval tests
python -m pytest -m "not slow" "$@"
