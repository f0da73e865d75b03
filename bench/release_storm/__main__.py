"""The release storm: ``python -m bench.release_storm`` (``run.sh``, ``make bench``).

N applicants (seeded with ``demo_seed(applicants=N)``, each with an API
token) book at once through ``POST /api/v1/appointments/``, at each
concurrency, against gunicorn (4 sync workers, persistent connections, DEBUG
off) on a fresh PostgreSQL database that is dropped afterwards. Three phases
per concurrency, each run against Guichet and the two baselines in turn (the
order rotates):

- ``book``: K slots with room for everyone (ceil(N/K) seats each): the success
  path; every request must get its seat.
- ``storm``: K slots of one seat, published at one moment: exactly K requests
  win, the N - K others are refused.
- ``sold-out``: the same K slots, already full: every request is refused (the
  sold-out path, what bots hammering a sold-out release cost).

Prints requests/s and p50/p99 latency of each path next to the baseline
(``bench.baseline``: the same database work in a bare Django view) and the
ratio Guichet/baseline. Exits non-zero if a booking went wrong: bookings must
equal capacity exactly, no slot overbooked, no 5xx, no connection error.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
from dataclasses import dataclass
from datetime import time, timedelta

from bench import common

TARGETS = ("baseline", "baseline-raw", "guichet")


@dataclass
class Run:
    concurrency: int
    phase: str
    target: str
    result: common.Result
    problems: list[str]
    round: int = 0
    # CPU milliseconds per request: the target's gunicorn processes, PostgreSQL.
    app_cpu: float = 0.0
    db_cpu: float = 0.0


def _setup(applicants: int, slots: int) -> dict:
    """Tokens, the baseline's outbox table and two procedures published at one moment."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, User
    from bench.baseline.schema import OUTBOX_DDL
    from booking.models import Procedure, RequiredDocument, Site, Slot
    from booking.services import OpeningRange, slots_publish

    with connection.cursor() as cursor:
        cursor.execute(OUTBOX_DDL)
    people = common.demo_applicants_with_tokens(applicants)
    now = timezone.now()
    agent = User.objects.get(role=Role.AGENT, email__startswith="agent@")
    site = Site.objects.get(slug="bobigny")
    tomorrow = timezone.localdate() + timedelta(days=1)
    # K starts between 08:00 and 18:00 (6-minute slots give 100 of them).
    minutes = max(1, 600 // slots)
    end = (8 * 60) + minutes * slots
    opening = [OpeningRange(time(8, 0), time(end // 60, end % 60))]
    procedures = {}
    for phase, seats in (("book", math.ceil(applicants / slots)), ("storm", 1)):
        procedure = Procedure.objects.create(
            slug=f"bench-{phase}",
            name=f"Bench {phase}",
            required_document=RequiredDocument.EITHER,
            cutoff_hours=0,
            horizon_days=30,
        )
        slots_publish(
            actor=agent,
            site=site,
            procedure=procedure,
            date_from=tomorrow,
            date_to=tomorrow,
            weekdays=range(7),
            opening_ranges=opening,
            counters=seats,
            slot_minutes=minutes,
            visible_at=now,
        )
        ids = list(Slot.objects.filter(procedure=procedure).order_by("pk").values_list("pk"))
        procedures[phase] = {"id": procedure.pk, "slots": [pk for (pk,) in ids], "seats": seats}
        if len(ids) != slots:
            raise SystemExit(f"published {len(ids)} slots, not {slots}")
    return {"people": people, "phases": procedures}


def _requests(target: str, setup: dict, phase: str) -> list[dict]:
    info = setup["phases"][_procedure_of(phase)]
    slots = info["slots"]
    requests = []
    for index, (applicant_id, key) in enumerate(setup["people"]):
        slot = slots[index % len(slots)]
        if target == "guichet":
            requests.append(
                {
                    "method": "POST",
                    "path": "/api/v1/appointments/",
                    "headers": {"Authorization": f"Token {key}"},
                    "body": {"slot": slot},
                }
            )
        else:
            requests.append(
                {
                    "method": "POST",
                    "path": "/book/" if target == "baseline" else "/book-raw/",
                    "body": {"slot": slot, "applicant": applicant_id, "procedure": info["id"]},
                }
            )
    return requests


PHASES = ("book", "storm", "sold-out")


def _procedure_of(phase: str) -> str:
    return "book" if phase == "book" else "storm"


def _reset(procedure_id: int, *, full: bool = False) -> None:
    """Free every seat of the phase's slots, or fill them all (``full``): the
    bench's own bookkeeping, not a booking path (cancelled appointments no
    longer count against the person)."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from booking.models import Appointment, AppointmentStatus, Slot

    with transaction.atomic():
        Appointment.objects.filter(
            procedure_id=procedure_id, status=AppointmentStatus.BOOKED
        ).update(status=AppointmentStatus.CANCELLED, cancelled_at=timezone.now())
        Slot.objects.filter(procedure_id=procedure_id).update(booked=F("capacity") if full else 0)
    connection.close()


def _check(result: common.Result, setup: dict, phase: str) -> list[str]:
    from django.db import connection
    from django.db.models import Count, F, Q

    from booking.models import Appointment, AppointmentStatus, Slot

    info = setup["phases"][_procedure_of(phase)]
    capacity = info["seats"] * len(info["slots"])
    expected = 0 if phase == "sold-out" else min(capacity, len(setup["people"]))
    problems = []
    made = Appointment.objects.filter(
        procedure_id=info["id"], status=AppointmentStatus.BOOKED
    ).count()
    if made != expected or result.count(201) != expected:
        problems.append(f"bookings {made} (201s: {result.count(201)}), expected {expected}")
    full = Slot.objects.filter(procedure_id=info["id"], booked=F("capacity")).count()
    if phase != "book" and full != len(info["slots"]):
        problems.append(f"{len(info['slots']) - full} slots not full after the storm")
    over = Slot.objects.filter(procedure_id=info["id"], booked__gt=F("capacity")).count()
    mismatched = 0
    if phase != "sold-out":  # there the bench filled the slots without appointments
        mismatched = (
            Slot.objects.filter(procedure_id=info["id"])
            .annotate(active=Count("appointments", filter=Q(appointments__status="booked")))
            .exclude(active=F("booked"))
            .count()
        )
    if over or mismatched:
        problems.append(f"{over} overbooked slots, {mismatched} slots whose count is off")
    if result.server_errors or result.connection_errors:
        problems.append(
            f"{result.server_errors} 5xx, {result.connection_errors} connection errors "
            f"(e.g. {result.bodies.get(500, '')[:200]!r})"
        )
    others = len(result.samples) - result.count(201, 409)
    if others:
        statuses = sorted({s[0] for s in result.samples if s[0] not in (201, 409)})
        problems.append(f"{others} answers neither 201 nor 409: {statuses} {result.bodies}")
    connection.close()
    return problems


def _warm_up(servers: dict[str, common.Server], setup: dict) -> None:
    # Each applicant's client loads the procedures before the slots open, as
    # a real one does: the storm then measures booking, not every token's
    # first use (``last_used_at`` is written once per token every few minutes).
    common.load(
        servers["guichet"].base,
        [
            {"path": "/api/v1/procedures/", "headers": {"Authorization": f"Token {key}"}}
            for _, key in setup["people"]
        ],
        concurrency=16,
    )
    common.load(
        servers["baseline"].base,
        [{"path": "/availability/?procedure=bench-book"}] * 200,
        concurrency=16,
    )


def _ratios(runs: list[Run], phase: str, concurrency: int, target: str = "guichet") -> list[float]:
    """Guichet/baseline req/s of each round: two runs side by side, minutes apart
    from the other rounds' (the machine's load changes in between)."""
    pick = {
        (r.round, r.target): r.result.rps
        for r in runs
        if r.phase == phase and r.concurrency == concurrency
    }
    rounds = sorted({key[0] for key in pick})
    return [pick[(n, target)] / pick[(n, "baseline")] for n in rounds]


def _report(runs: list[Run], concurrencies: list[int]) -> None:
    def median_run(found: list[Run]) -> Run:
        return sorted(found, key=lambda r: r.result.rps)[len(found) // 2]

    print()
    print(
        "   path      conc  target         req/s    p50 ms   p99 ms   app CPU  PG CPU   "
        "ratio (median over rounds of req/s vs baseline)"
    )
    for phase, status, label in (
        ("book", 201, "success"),
        ("sold-out", 409, "sold-out"),
        ("storm", 409, "storm"),
    ):
        for concurrency in concurrencies:
            for target in TARGETS:
                found = [
                    r
                    for r in runs
                    if r.phase == phase and r.concurrency == concurrency and r.target == target
                ]
                run = median_run(found)
                lat = run.result.latencies(status)
                ratio = ""
                if target != "baseline":
                    per_round = _ratios(runs, phase, concurrency, target)
                    ratio = f"{statistics.median(per_round):.2f}"
                app_cpu = statistics.median(r.app_cpu for r in found)
                db_cpu = statistics.median(r.db_cpu for r in found)
                print(
                    f"   {label:<9} {concurrency:>4}  {target:<13} {run.result.rps:>7.0f}  "
                    f"{common.ms(common.percentile(lat, 50)):>7}  "
                    f"{common.ms(common.percentile(lat, 99)):>7}  "
                    f"{app_cpu:>5.2f} ms {db_cpu:>5.2f} ms  {ratio}"
                )
    print()
    for phase, label in (("book", "success"), ("sold-out", "sold-out")):
        medians = [statistics.median(_ratios(runs, phase, c)) for c in concurrencies]
        worst = min(medians)
        verdict = "meets" if worst >= 0.8 else "BELOW"
        print(
            f"   {label} path: Guichet/baseline req/s (median of the rounds) = "
            + ", ".join(f"{x:.2f}" for x in medians)
            + f" (worst {worst:.2f}; target >= 0.8: {verdict})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="Guichet under a release storm.")
    parser.add_argument("--applicants", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--concurrency", default="64,128,256")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Runs of each path and concurrency, each target side by side (median reported).",
    )
    parser.add_argument("--database", default="guichet_bench")
    parser.add_argument("--keep-db", action="store_true", help="Do not drop the database.")
    parser.add_argument(
        "--settings",
        default="config.settings",
        help="Guichet's settings module (to compare a variant; it must be importable).",
    )
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    common.header(
        f"release storm: {args.applicants} applicants, {args.slots} slots, "
        f"concurrency {args.concurrency}, gunicorn {common.WORKERS} sync workers"
    )
    runs: list[Run] = []
    with common.bench_database(args.database, keep=args.keep_db) as url:
        common.django_setup(url)
        common.demo_seed(applicants=args.applicants)
        setup = _setup(args.applicants, args.slots)
        from django.db import connection

        connection.close()
        specs = {
            # As in production: the rate limits counted in Redis, shared by the workers.
            "guichet": common.Server(
                "guichet",
                "config.wsgi:application",
                args.settings,
                extra_env=common.redis_env(),
            ),
            "baseline": common.Server(
                "baseline", "bench.baseline.wsgi:application", "bench.baseline.settings"
            ),
        }
        with common.servers(url, *specs.values()):
            specs["baseline-raw"] = specs["baseline"]
            _warm_up(specs, setup)
            for turn, concurrency in enumerate(concurrencies):
                for phase, round_ in itertools.product(PHASES, range(args.rounds)):
                    # Rotate the order: no target always goes first (or last).
                    shift = (turn + round_) % 3
                    order = TARGETS[shift:] + TARGETS[:shift]
                    for target in order:
                        _reset(
                            setup["phases"][_procedure_of(phase)]["id"],
                            full=phase == "sold-out",
                        )
                        before = common.cpu_snapshot()
                        result = common.load(
                            specs[target].base,
                            _requests(target, setup, phase),
                            concurrency=concurrency,
                        )
                        spent = common.cpu_spent(before, common.cpu_snapshot())
                        problems = _check(result, setup, phase)
                        per_request = 1000 / max(1, len(result.samples))
                        run = Run(concurrency, phase, target, result, problems, round_)
                        run.app_cpu = spent.get(specs[target].wsgi, 0.0) * per_request
                        run.db_cpu = spent.get("postgres", 0.0) * per_request
                        runs.append(run)
                        print(
                            f"   {phase:<8} c={concurrency:<3} {target:<13} "
                            f"{result.rps:7.0f} req/s  CPU/req app {run.app_cpu:.2f} ms "
                            f"PostgreSQL {run.db_cpu:.2f} ms  201: {result.count(201):>5}  "
                            f"409: {result.count(409):>5}  "
                            + ("ok" if not problems else "PROBLEM: " + "; ".join(problems))
                        )
    _report(runs, concurrencies)
    failed = [run for run in runs if run.problems]
    print(
        "   correctness: "
        + ("every run booked exactly its capacity, no 5xx" if not failed else "FAILED")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
