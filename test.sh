#!/usr/bin/env bash
# Install everything the tests need and run the whole suite (unit, PostgreSQL, real HTTP, real browser).
# Extra arguments go to pytest, e.g. ./test.sh tests/services -x
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
export MINEGNK_TEST_DATABASE_URL=${MINEGNK_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/minegnk_test}

# PostgreSQL at 127.0.0.1:5432 (trust auth on our machines): start the local cluster if it is down.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

# Headless Chromium for the browser tests (Debian packages; browsers are never downloaded by a test tool).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium + chromium-driver…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "warning: /usr/bin/chromium missing; install the Debian packages chromium and chromium-driver" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
