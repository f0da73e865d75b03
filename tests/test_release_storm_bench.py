"""The release storm (``bench.release_storm``) at a tiny scale: the real app and
its two baselines (the bare Django views of ``bench.baseline``) served side by
side, each path checked. The baselines write the real tables: a column the app
gains without them (``Appointment.outside_opening_hours``) made every baseline
booking a 500, unseen until the next full run. The full run is
``bench/release_storm/run.sh``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_release_storm_runs_each_target_correctly():
    server = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    env = {**os.environ, "BENCH_DATABASE_URL": server}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the storm serves its own settings

    done = subprocess.run(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "bench.release_storm",
            *("--applicants", "40", "--slots", "10", "--concurrency", "8", "--rounds", "1"),
            *("--database", f"guichet_bench_release_test_{os.getpid()}"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = done.stdout + done.stderr[-3000:]
    assert done.returncode == 0, output
    assert "correctness: every run booked exactly its capacity, no 5xx" in done.stdout, output
    # Each phase of each target: the app and both baselines.
    for target in ("guichet", "baseline", "baseline-raw"):
        assert done.stdout.count(f" {target} ") >= 3, output
