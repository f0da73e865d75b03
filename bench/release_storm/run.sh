#!/usr/bin/env bash
# The release storm on small defaults; pass options through (see --help).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
# One heavy job at a time on a shared machine (the test suites take the same lock).
if command -v flock >/dev/null; then
    exec flock "${GUICHET_HEAVY_LOCK:-/tmp/guichet-heavy.lock}" "$PYTHON" -m bench.release_storm "$@"
fi
exec "$PYTHON" -m bench.release_storm "$@"
