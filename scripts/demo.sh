#!/usr/bin/env bash
# One command: create the environment, install everything, ingest the bundled demo corpus and serve it.
# Afterwards: curl http://127.0.0.1:8000/readyz
#
# The demo serves on loopback with access control OFF (RAG_AUTH__ENABLED=false), so it works without an API
# key. Never do this on a reachable interface: for real use leave auth on and create keys with rag-keys.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
rag-ingest --demo
export RAG_AUTH__ENABLED="${RAG_AUTH__ENABLED:-false}"
if [ "$RAG_AUTH__ENABLED" = "false" ]; then
  echo "WARNING: demo mode, access control is OFF (RAG_AUTH__ENABLED=false): anyone who reaches the port" >&2
  echo "WARNING: can search, upload and delete. Serving on loopback only; see README 'Access control'." >&2
  export RAG_API__HOST=127.0.0.1
fi
exec rag-serve --host "${RAG_API__HOST:-127.0.0.1}" --port "${RAG_API__PORT:-8000}"
