#!/usr/bin/env bash
# New-slot alert fan-out: messages created and handed to the broker per second,
# and SMS per second that one Celery worker sends to a local fake Twilio.
# Needs PostgreSQL (BENCH_DATABASE_URL's server) and Redis on 127.0.0.1:6379.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec flock /tmp/guichet-heavy.lock "$PYTHON" bench/fanout/fanout.py "$@"
