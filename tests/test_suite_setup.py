"""The test command fails fast, and says how to fix it, without PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_suite_stops_at_once_with_instructions_when_postgresql_is_unreachable():
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:9/guichet"}

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "tests/test_i18n.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "needs PostgreSQL" in output
    assert "pg_ctlcluster --skip-systemctl-redirect" in output
