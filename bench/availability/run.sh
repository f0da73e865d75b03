#!/usr/bin/env bash
# Availability over a million slots, in process and over HTTP; options: --help.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-.venv/bin/python}" -m bench.availability "$@"
