#!/usr/bin/env bash
# The release storm on small defaults; pass options through (see --help).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-.venv/bin/python}" -m bench.release_storm "$@"
