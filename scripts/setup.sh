#!/usr/bin/env bash
# Sets up everything symphony needs on Debian 12 / Python 3.11, idempotently:
# system packages (JACK, PortAudio, liblo tools, libsndfile,
# chromium for the visitors' page browser test) and a virtualenv
# in .venv with symphony installed in editable mode plus its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=0
for pkg in jackd2 libportaudio2 liblo-tools libsndfile1 systemd chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    jackd2 libportaudio2 liblo-tools libsndfile1 systemd chromium >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.symphony-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setting up .venv (log: .venv/install.log)" >&2
  if ! { .venv/bin/python -m pip install -q --upgrade pip \
         && .venv/bin/python -m pip install -q -e ".[dev]"; } >.venv/install.log 2>&1; then
    tail -n 40 .venv/install.log >&2
    echo "setup failed: see .venv/install.log" >&2
    exit 1
  fi
  touch "$stamp"
fi
