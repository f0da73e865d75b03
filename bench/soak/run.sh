#!/usr/bin/env bash
# The soak (10 minutes by default); SOAK_SECONDS shortens it (make bench sets it).
# Pass options through (see --help). Needs PostgreSQL and Redis on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
args=()
if [ -n "${SOAK_SECONDS:-}" ]; then
    args+=(--seconds "$SOAK_SECONDS")
fi
# One heavy job at a time on a shared machine (the test suites take the same lock).
if command -v flock >/dev/null; then
    exec flock "${GUICHET_HEAVY_LOCK:-/tmp/guichet-heavy.lock}" "$PYTHON" -m bench.soak "${args[@]}" "$@"
fi
exec "$PYTHON" -m bench.soak "${args[@]}" "$@"
