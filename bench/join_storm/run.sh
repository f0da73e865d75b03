#!/usr/bin/env bash
# The join storm on small defaults (2,000 joins); pass options through (see --help):
# bench/join_storm/run.sh --applicants 20000 for the issue's full figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
# One heavy job at a time on a shared machine (the test suites take the same lock).
if command -v flock >/dev/null; then
    exec flock "${GUICHET_HEAVY_LOCK:-/tmp/guichet-heavy.lock}" "$PYTHON" -m bench.join_storm "$@"
fi
exec "$PYTHON" -m bench.join_storm "$@"
