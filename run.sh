#!/usr/bin/env bash
# Install (into ./.venv) and start the portal. Arguments go to main.py, e.g. ./run.sh --demo or ./run.sh create-admin EMAIL.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/python main.py "$@"
