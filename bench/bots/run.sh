#!/usr/bin/env bash
# Bots against people over a simulated week, open and queue modes; options: --help.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
# One heavy job at a time on a shared machine (the test suites take the same lock).
if command -v flock >/dev/null; then
    exec flock "${GUICHET_HEAVY_LOCK:-/tmp/guichet-heavy.lock}" "$PYTHON" -m bench.bots "$@"
fi
exec "$PYTHON" -m bench.bots "$@"
