#!/usr/bin/env bash
# The allocation at scale: 100,000 entries, 10,000 seats, 10,000 accepts; options: --help.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
# One heavy job at a time on a shared machine (the test suites take the same lock).
if command -v flock >/dev/null; then
    exec flock "${GUICHET_HEAVY_LOCK:-/tmp/guichet-heavy.lock}" "$PYTHON" -m bench.allocation "$@"
fi
exec "$PYTHON" -m bench.allocation "$@"
