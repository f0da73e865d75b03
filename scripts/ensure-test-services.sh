#!/usr/bin/env bash
# What the test suite needs from the machine, installed or started if missing:
# Debian's chromium (browser tests), GNU gettext (catalogue check), Redis (the
# tests of the production Lua scripts and of the real worker fail without it)
# and PostgreSQL: DATABASE_URL when set; else the machine's server
# (TEST_SYSTEM_DATABASE_URL, 127.0.0.1:5432 by default; started here if it is
# installed but stopped); else the embedded one of core/devdb.py, which
# config/settings_test.py then uses. PYTHON: the virtualenv's (make test's).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

# apt-get install, as root only; otherwise say what to run.
install_debian() {
  local package=$1 why=$2
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian's $package for $why…"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  else
    echo "$why needs Debian's $package: sudo apt-get install $package" >&2
    exit 1
  fi
}

if [ ! -x /usr/bin/chromium ]; then
  install_debian chromium "the browser tests"
fi

# GNU gettext: tests/test_catalogues.py extracts and compiles the catalogues.
if ! command -v msgfmt >/dev/null || ! command -v xgettext >/dev/null; then
  install_debian gettext "the catalogue check"
fi

# --- Redis ---------------------------------------------------------------------
if ! command -v redis-server >/dev/null; then
  install_debian redis-server "the tests of the rate limits' Lua scripts and the worker"
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

# --- PostgreSQL ------------------------------------------------------------------
answers() {
  "$PYTHON" -c 'import sys; from core.devdb import answers; sys.exit(not answers(sys.argv[1]))' "$1"
}

if [ -n "${DATABASE_URL:-}" ]; then
  exit 0  # the suite's own check says clearly if it does not answer
fi
system_url=${TEST_SYSTEM_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/guichet}
if ! answers "$system_url" && [ -z "${TEST_SYSTEM_DATABASE_URL:-}" ] \
  && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  # The machine's server is installed but stopped: start it.
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
if answers "$system_url"; then
  echo "PostgreSQL: the machine's server ($system_url)."
else
  echo "PostgreSQL: no server at $system_url; the embedded one (.devdb/)."
  "$PYTHON" manage.py devdb start
fi
