"""The benchmarks' CPU accounting (``bench.measure``): a process that exits
between two snapshots keeps its CPU counted, once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.measure import cpu_snapshot, cpu_spent


def test_a_reaped_child_cpu_stays_with_its_parent():
    before = cpu_snapshot()[os.getpid()][1]
    # A child that spends some CPU and is reaped by this process.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass",
        ],
        check=True,
    )
    after = cpu_snapshot()[os.getpid()][1]

    assert after - before >= 0.3


def test_a_process_that_exited_counts_what_it_spent_since_once():
    # The postmaster (1) and a backend (2) at the first snapshot; the backend
    # spends 3 s more, exits, and the postmaster reaps it (its 8 s move to it).
    before = {1: ("postgres", 10.0), 2: ("postgres", 5.0), 3: ("other", 1.0)}
    after = {1: ("postgres", 10.0 + 8.0), 3: ("other", 1.5), 4: ("postgres", 0.5)}

    spent = cpu_spent(before, after)

    assert spent["postgres"] == 3.0 + 0.5  # and the new backend's, whole
    assert spent["other"] == 0.5


def test_the_postmaster_counts_with_postgresql():
    """Its backends' CPU moves to it when they exit: it must be in their group."""
    found = [
        group for pid, (group, _seconds) in cpu_snapshot().items() if _program(pid) == "postgres"
    ]

    assert found and set(found) == {"postgres"}


def _program(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode().rsplit("/", 1)[-1]
    except OSError:
        return ""
