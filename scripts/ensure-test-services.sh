#!/usr/bin/env bash
# What the test suite needs from the machine, installed or started if missing:
# Debian's chromium (browser tests), GNU gettext (catalogue check), PostgreSQL
# and Redis (already running on a development machine; started here if they
# stopped).
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian's chromium for the browser tests…"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi

# GNU gettext: tests/test_catalogues.py extracts and compiles the catalogues.
if ! command -v msgfmt >/dev/null || ! command -v xgettext >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing GNU gettext for the catalogue check…"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
  else
    echo "The catalogue check needs GNU gettext: sudo apt-get install gettext" >&2
    exit 1
  fi
fi

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi

if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  fi
fi
