#!/usr/bin/env bash
# One command: create the environment, install everything, ingest the bundled demo corpus and serve it.
# Afterwards: curl http://127.0.0.1:8000/readyz
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
rag-ingest --demo
exec rag-serve --host "${RAG_API__HOST:-127.0.0.1}" --port "${RAG_API__PORT:-8000}"
