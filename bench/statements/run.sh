#!/usr/bin/env bash
# Where a hot path's PostgreSQL CPU goes, statement by statement; pass options
# through (see --help): bench/statements/run.sh --applicants 2000 --rounds 3
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
# One heavy job at a time on a shared machine (the test suites take the same lock).
if command -v flock >/dev/null; then
    exec flock "${GUICHET_HEAVY_LOCK:-/tmp/guichet-heavy.lock}" "$PYTHON" -m bench.statements "$@"
fi
exec "$PYTHON" -m bench.statements "$@"
