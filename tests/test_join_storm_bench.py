"""The join storm (``bench.join_storm``) at a tiny scale, with people on the
list before it: gunicorn, the load generator, the checks of its three paths;
and its verdict on the join's cost against a booking made. The full run is
``bench/join_storm/run.sh --applicants 20000 --waiting 100000``."""

from __future__ import annotations

import pytest

from tests.helpers.bench_runs import bench_run


@pytest.mark.slow
def test_the_join_storm_runs_over_a_list_with_people_waiting():
    code, stdout, output = bench_run(
        "bench.join_storm",
        *("--applicants", "40", "--waiting", "30", "--rounds", "2"),
        *("--concurrency", "8", "--slots", "10", "--list-days", "2"),
    )

    assert code == 0, output
    # Each round's check: 40 joined, 2 duplicates refused, the 30 waiting before
    # still there (70 entries in force, 70 people, 70 identities).
    assert "every join round put each applicant on the list once, no 5xx" in stdout, output
    assert stdout.count("201:     40  409:      2  ok") == 2, output
    # Each booked round: 40 bookings made, 40 appointments of 40 people.
    booked = [line for line in stdout.splitlines() if line.strip().startswith("booked ")]
    assert sum(line.endswith("201:     40  409:      0  ok") for line in booked) == 2, output
    assert "against a refused booking (median of the rounds)" in stdout, output
    assert "against a booking made (median of the rounds)" in stdout, output
    assert "cost: not judged under 1000 requests a round" in stdout, output


def _runs(requests: int, join_cpu: float, booked_cpu: float) -> list:
    from bench.join_storm.__main__ import Run
    from bench.measure import Result

    def run(path: str, round_: int, cpu: float) -> Run:
        status = 409 if path == "sold-out" else 201
        result = Result(seconds=1.0, samples=[(status, 0.01, 0.0)] * requests, bodies={})
        return Run(path, round_, result, [], app_cpu=cpu * 0.75, db_cpu=cpu * 0.25)

    return [
        run(path, round_, cpu)
        for round_ in range(3)
        for path, cpu in (("sold-out", 1.2), ("join", join_cpu), ("booked", booked_cpu))
    ]


@pytest.mark.parametrize(
    ("join_cpu", "booked_cpu", "within"), [(2.1, 2.9, True), (3.0, 2.9, False)]
)
def test_the_storm_fails_when_a_join_costs_more_than_a_booking_made(
    join_cpu, booked_cpu, within, capsys
):
    from bench.join_storm.__main__ import _report

    assert _report(_runs(1000, join_cpu, booked_cpu)) is within
    printed = capsys.readouterr().out
    assert ("cost: FAILED" in printed) is not within, printed
    # 1.75x a refused booking, 0.72x a booking made (2.1 / 1.2, 2.1 / 2.9).
    if within:
        assert "1.75x the CPU" in printed and "0.72x the CPU" in printed, printed


def test_a_round_of_a_few_requests_is_not_judged(capsys):
    from bench.join_storm.__main__ import _report

    assert _report(_runs(40, 3.0, 2.9)) is True
    assert "cost: not judged under 1000 requests a round" in capsys.readouterr().out
