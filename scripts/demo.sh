#!/usr/bin/env bash
# Sets everything up (see setup.sh), then renders the demo performance with
# simulated participants to out/demo.wav and draws it to out/demo.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/symphony render performances/demo.toml -o out/demo.wav --plot out/demo.png "$@"
