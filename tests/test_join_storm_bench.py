"""The join storm (``bench.join_storm``) at a tiny scale, with people on the
list before it: gunicorn, the load generator, the check. The full run is
``bench/join_storm/run.sh --applicants 20000 --waiting 100000``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_the_join_storm_runs_over_a_list_with_people_waiting():
    server = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    env = {**os.environ, "BENCH_DATABASE_URL": server}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the storm serves config.settings

    done = subprocess.run(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "bench.join_storm",
            *("--applicants", "40", "--waiting", "30", "--rounds", "2"),
            *("--concurrency", "8", "--slots", "10", "--list-days", "2"),
            *("--database", f"guichet_bench_join_test_{os.getpid()}"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = done.stdout + done.stderr[-3000:]
    assert done.returncode == 0, output
    # Each round's check: 40 joined, 2 duplicates refused, the 30 waiting before
    # still there (70 entries in force, 70 people, 70 identities).
    assert "every join round put each applicant on the list once, no 5xx" in done.stdout, output
    assert done.stdout.count("201:     40  409:      2  ok") == 2, output
    # Each booked round: 40 bookings made, 40 appointments of 40 people.
    booked = [line for line in done.stdout.splitlines() if line.strip().startswith("booked ")]
    assert sum(line.endswith("201:     40  409:      0  ok") for line in booked) == 2, output
    assert "against a refused booking (median of the rounds)" in done.stdout, output
    assert "against a booking made (median of the rounds)" in done.stdout, output
