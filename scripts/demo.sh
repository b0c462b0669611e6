#!/usr/bin/env bash
# One command for a new user: install, generate + load the demo data, serve web page + API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/patentkg demo "$@"
