#!/usr/bin/env bash
# The proof-of-work's cost: solving (Python, the widget in Chromium) and verifying; --help.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
# One heavy job at a time on a shared machine (the test suites take the same lock).
if command -v flock >/dev/null; then
    exec flock "${GUICHET_HEAVY_LOCK:-/tmp/guichet-heavy.lock}" "$PYTHON" -m bench.pow "$@"
fi
exec "$PYTHON" -m bench.pow "$@"
