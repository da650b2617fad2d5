#!/usr/bin/env bash
# Sets everything up (see setup.sh), then lints, type-checks and runs all tests.
# Each step on its own line: under `set -e` a failure inside an && chain
# would not stop the script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy symphony
echo "== pytest"
.venv/bin/pytest -q "$@"  # one at a time: the live-show tests measure real audio on JACK
