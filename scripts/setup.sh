#!/usr/bin/env bash
# Create .venv (if missing) and install the project with the given extras, e.g. `scripts/setup.sh test`.
# With the `test` extra, Debian's chromium and chromium-driver (the browser tests drive /usr/bin/chromium;
# Playwright's own browser download is not used) and the PostgreSQL server are installed when missing.
# torch is installed first as the pinned CPU build, so sentence-transformers does not pull GPU packages.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python_bin="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -c "import torch" 2>/dev/null || python -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}"
if [ -n "$extras" ]; then
  python -m pip install --quiet -e ".[${extras}]"
else
  python -m pip install --quiet -e .
fi
# Debian packages the tests need: a browser for the page, a PostgreSQL server for the feedback store.
packages=()
if [[ ",${extras}," == *",test,"* ]]; then
  [ -x /usr/bin/chromium ] || packages+=(chromium chromium-driver)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
  else
    echo "warning: ${packages[*]} missing and neither root nor sudo is available: their tests will skip" >&2
  fi
fi
