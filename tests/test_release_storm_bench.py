"""The release storm (``bench.release_storm``) at a tiny scale: the real app and
its two baselines (the bare Django views of ``bench.baseline``) served side by
side, each path checked. The baselines write the real tables: a column the app
gains without them (``Appointment.outside_opening_hours``) made every baseline
booking a 500, unseen until the next full run. The full run is
``bench/release_storm/run.sh``."""

from __future__ import annotations

import pytest

from tests.helpers.bench_runs import bench_run


@pytest.mark.slow
def test_the_release_storm_runs_each_target_correctly():
    code, stdout, output = bench_run(
        "bench.release_storm",
        *("--applicants", "40", "--slots", "10", "--concurrency", "8", "--rounds", "1"),
    )

    assert code == 0, output
    assert "correctness: every run booked exactly its capacity, no 5xx" in stdout, output
    # Each phase of each target: the app and both baselines.
    for target in ("guichet", "baseline", "baseline-raw"):
        assert stdout.count(f" {target} ") >= 3, output
