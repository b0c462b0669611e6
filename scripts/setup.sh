#!/usr/bin/env bash
# Create .venv and install patentkg into it (idempotent). EXTRAS=test adds the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "patentkg needs Python 3.11 or newer (found $("$PY" --version 2>&1)); set PYTHON=..." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${EXTRAS:-}" = "test" ]; then
  .venv/bin/python -m pip install --quiet -e '.[test]'
  if command -v npm >/dev/null 2>&1; then
    (cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "npm not found: the Cypher grammar lint test will be skipped" >&2
  fi
else
  .venv/bin/python -m pip install --quiet -e .
fi
