"""A benchmark run at a tiny scale from a test: its command in a subprocess,
against a database of its own on the test database's server, dropped by the
benchmark itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def bench_run(module: str, *args: str, timeout: float = 300) -> tuple[int, str, str]:
    """Run ``python -m <module> <args> --database <its own>``; return its exit
    code, its standard output, and both outputs for an assertion's message."""
    server = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    env = {**os.environ, "BENCH_DATABASE_URL": server}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # a benchmark serves its own settings
    name = f"guichet_{module.replace('.', '_')}_test_{os.getpid()}"
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", module, *args, "--database", name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout, done.stdout + done.stderr[-3000:]
