"""The join storm: ``python -m bench.join_storm`` (``run.sh``, ``make bench``).

N applicants (seeded with ``demo_seed(applicants=N)``, each with an API token)
join a procedure's waiting list at the same moment through ``POST
/api/v1/waitlist/`` (its capacity of ``--list-days`` days, 100 slots a day,
all given out already, as a scarce procedure's is when people join), against
gunicorn (4 sync workers, persistent connections, DEBUG off, the rate limits
counted in Redis) on a fresh PostgreSQL database dropped afterwards. A share
of them (``--duplicates``) send their join twice, the two requests in flight
together. Side by side in the same run, two baselines, the same N
applicants each asking ``POST /api/v1/appointments/``:
- ``sold-out``: for a slot already full (the release storm's sold-out path, a
  refused booking: the issue's baseline);
- ``booked``: for a free seat of an open procedure (a booking made: the API's
  other durable write, audited like a join).
The three paths take turns, ``--rounds`` times each (the first path rotates),
the bench's own rows removed before each round (``world.reset``).
``--waiting``: people already on the list before the storm, who stay (seeded
in bulk, as ``bench.allocation`` does: their sites, weekdays and classes with
the facts that give them), to show a join's cost does not grow with the list
it joins.

Correctness, every join round: no 5xx and no connection error; exactly N 201s
and one 409 ``already_waiting`` per duplicate; on the list, N + ``--waiting``
entries in force, as many distinct people and identities. Every sold-out
round: only 409s, no appointment made. Every booked round: N 201s, N
appointments of N people. Exits non-zero otherwise.

Cost: requests/s, p50/p99 latency, CPU per request of the app's processes and
of PostgreSQL, and a join's time and CPU against each baseline (the issue's
target: a join costs about what a refused booking costs; ``docs/allocation.md``
says how it was decided). The machine's load average is printed before and
after: the machine is shared, only the ratios of one run compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from dataclasses import dataclass

from bench import common
from bench.join_storm.world import PATHS, check, requests_of, reset, setup

# The load comes from one address and reuses its accounts: raised limits (still
# counted, so their cost is measured) instead of refusals.
RATE_LIMITS_RAISED = {
    "RATELIMIT_WAITLIST_JOIN_ACCOUNT": "1000000/m",
    "RATELIMIT_WAITLIST_JOIN_IP": "1000000/m",
}


# The fewest requests of a round for its CPU per request to be judged.
JUDGED_FROM = 1000


@dataclass
class Run:
    path: str
    round: int
    result: common.Result
    problems: list[str]
    app_cpu: float = 0.0  # CPU ms per request, the app's gunicorn processes
    db_cpu: float = 0.0  # CPU ms per request, PostgreSQL


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def _warm_up(server: common.Server, world: dict) -> None:
    # Each applicant's client loads the procedures first, as a real one does: the
    # storm then measures joining, not every token's first use.
    common.load(
        server.base,
        [
            {"path": "/api/v1/procedures/", "headers": {"Authorization": f"Token {key}"}}
            for _, key in world["people"]
        ],
        concurrency=16,
    )


def _report(runs: list[Run]) -> bool:
    """Print the figures; whether a join cost no more CPU than a booking made
    (the median of the rounds: ``docs/allocation.md``'s decision), judged from
    ``JUDGED_FROM`` requests a round."""

    def median(path: str, value) -> float:
        return statistics.median(value(r) for r in runs if r.path == path)

    print()
    print("   path       req/s    p50 ms   p99 ms   app CPU/req  PG CPU/req")
    for path in PATHS:
        status = 409 if path == "sold-out" else 201
        found = sorted((r for r in runs if r.path == path), key=lambda r: r.result.rps)
        run = found[len(found) // 2]
        lat = run.result.latencies(status)
        print(
            f"   {path:<9} {run.result.rps:>7.0f}  {common.ms(common.percentile(lat, 50)):>7}  "
            f"{common.ms(common.percentile(lat, 99)):>7}  "
            f"{median(path, lambda r: r.app_cpu):>8.2f} ms  "
            f"{median(path, lambda r: r.db_cpu):>7.2f} ms"
        )
    rounds = sorted({r.round for r in runs})
    pick = {(r.round, r.path): r for r in runs}

    def ratios(against: str) -> tuple[float, float]:
        """The median over the rounds of a join's time and CPU against ``against``'s."""
        rps = [pick[n, against].result.rps / pick[n, "join"].result.rps for n in rounds]
        cpu = [
            (pick[n, "join"].app_cpu + pick[n, "join"].db_cpu)
            / max(1e-9, pick[n, against].app_cpu + pick[n, against].db_cpu)
            for n in rounds
        ]
        return statistics.median(rps), statistics.median(cpu)

    print()
    for against, what in (("sold-out", "a refused booking"), ("booked", "a booking made")):
        rps, cpu = ratios(against)
        print(
            f"   a join costs, per request, against {what} (median of the rounds): "
            f"{rps:.2f}x the time (req/s ratio), {cpu:.2f}x the CPU (app + PostgreSQL)"
        )
    if min(len(r.result.samples) for r in runs) < JUDGED_FROM:
        # /proc counts CPU in 10 ms ticks: a few dozen requests' CPU is noise.
        print(f"   cost: not judged under {JUDGED_FROM} requests a round")
        return True
    within = ratios("booked")[1] <= 1
    if within:
        print("   cost: a join costs no more CPU than a booking made")
    else:
        print("   cost: FAILED: a join costs more CPU than a booking made (docs/allocation.md)")
    return within


def main() -> int:
    parser = argparse.ArgumentParser(description="Guichet under a storm of joins.")
    parser.add_argument("--applicants", type=int, default=2000)
    parser.add_argument(
        "--duplicates",
        type=float,
        default=0.05,
        help="Share of the applicants who send their join twice at once.",
    )
    parser.add_argument("--slots", type=int, default=100, help="Full slots of the baseline.")
    parser.add_argument(
        "--list-days",
        type=int,
        default=20,
        help="Days of the list's capacity, 100 slots a day, all given out (0: none).",
    )
    parser.add_argument(
        "--waiting",
        type=int,
        default=0,
        help="People on the list before the storm (the issue's list: 100000).",
    )
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="guichet_bench_join")
    parser.add_argument("--keep-db", action="store_true", help="Do not drop the database.")
    args = parser.parse_args()
    duplicates = int(args.applicants * args.duplicates)
    common.header(
        f"join storm: {args.applicants} applicants ({duplicates} joining twice at once), "
        f"{args.waiting} waiting before, concurrency {args.concurrency}, {args.rounds} rounds, "
        f"gunicorn {common.WORKERS} sync workers"
    )
    print(f"   load:    {load_average()} before")
    runs: list[Run] = []
    with common.bench_database(args.database, keep=args.keep_db) as url:
        common.django_setup(url)
        common.demo_seed(applicants=args.applicants)
        world = setup(args.applicants, args.slots, args.list_days, args.waiting)
        from django.db import connection

        connection.close()
        server = common.Server(
            "guichet",
            "config.wsgi:application",
            "config.settings",
            extra_env={**common.redis_env(), **RATE_LIMITS_RAISED},
        )
        with common.servers(url, server):
            _warm_up(server, world)
            for round_ in range(args.rounds):
                # Each path first in turn: none always runs on the warmest machine.
                shift = round_ % len(PATHS)
                for path in PATHS[shift:] + PATHS[:shift]:
                    reset(world)
                    requests = requests_of(world, path, duplicates, seed=round_)
                    before = common.cpu_snapshot()
                    result = common.load(server.base, requests, concurrency=args.concurrency)
                    spent = common.cpu_spent(before, common.cpu_snapshot())
                    expected = duplicates if path == "join" else 0
                    problems = check(result, world, path, expected)
                    per_request = 1000 / max(1, len(result.samples))
                    run = Run(path, round_, result, problems)
                    run.app_cpu = spent.get(server.wsgi, 0.0) * per_request
                    run.db_cpu = spent.get("postgres", 0.0) * per_request
                    runs.append(run)
                    print(
                        f"   {path:<8} round {round_}  {result.rps:7.0f} req/s  "
                        f"CPU/req app {run.app_cpu:.2f} ms PostgreSQL {run.db_cpu:.2f} ms  "
                        f"201: {result.count(201):>6}  409: {result.count(409):>6}  "
                        + ("ok" if not problems else "PROBLEM: " + "; ".join(problems))
                    )
    print(f"   load:    {load_average()} after")
    within = _report(runs)
    failed = [run for run in runs if run.problems]
    print(
        "   correctness: "
        + (
            "every join round put each applicant on the list once, no 5xx"
            if not failed
            else "FAILED"
        )
    )
    return 1 if failed or not within else 0


if __name__ == "__main__":
    sys.exit(main())
