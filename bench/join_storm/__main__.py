"""The join storm: ``python -m bench.join_storm`` (``run.sh``, ``make bench``).

N applicants (seeded with ``demo_seed(applicants=N)``, each with an API token)
join a procedure's waiting list at the same moment through ``POST
/api/v1/waitlist/`` (its capacity of ``--list-days`` days, 100 slots a day,
all given out already, as a scarce procedure's is when people join), against
gunicorn (4 sync workers, persistent connections, DEBUG off, the rate limits
counted in Redis) on a fresh PostgreSQL database dropped afterwards. A share
of them (``--duplicates``) send their join twice, the two requests in flight
together. Side by side in the same run, the
sold-out baseline: the same N applicants each ask ``POST /api/v1/appointments/``
for a slot already full (the release storm's sold-out path, a refused booking).
The two paths alternate, ``--rounds`` times each (the order rotates), the
storm's people taken off the list before each join round. ``--waiting``: people
already on the list before the storm, who stay (seeded in bulk, as
``bench.allocation`` does: their sites, weekdays and classes with the facts
that give them), to show a join's cost does not grow with the list it joins.

Correctness, every join round: no 5xx and no connection error; exactly N 201s
and one 409 ``already_waiting`` per duplicate; on the list, N + ``--waiting``
entries in force, as many distinct people and identities. Every sold-out round: only 409s, no
appointment made. Exits non-zero otherwise.

Cost: requests/s, p50/p99 latency, CPU per request of the app's processes and
of PostgreSQL, and the ratio join / sold-out (the target: a join costs about
what a refused booking costs; ``docs/allocation.md`` says where it stands).
The machine's load average is printed before and after: the machine is
shared, only the ratios of one run compare.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from dataclasses import dataclass
from datetime import time, timedelta

from bench import common

PATHS = ("sold-out", "join")
JOIN_PROCEDURE = "bench-join"
SOLD_OUT_PROCEDURE = "bench-sold-out"
SITE = "bobigny"
# The load comes from one address and reuses its accounts: raised limits (still
# counted, so their cost is measured) instead of refusals.
RATE_LIMITS_RAISED = {
    "RATELIMIT_WAITLIST_JOIN_ACCOUNT": "1000000/m",
    "RATELIMIT_WAITLIST_JOIN_IP": "1000000/m",
}


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


def _setup(applicants: int, slots: int, list_days: int = 0, waiting: int = 0) -> dict:
    """Tokens; a procedure given out by its list at the site, its capacity of
    ``list_days`` days (100 slots a day) all given out (no seat to offer: the
    storm measures joining), ``waiting`` people on its list already; another
    with ``slots`` slots, all full."""
    from django.db.models import F
    from django.utils import timezone

    from accounts.models import Role, User
    from booking.models import (
        AllocationMode,
        AllocationPolicy,
        Applicant,
        Procedure,
        RequiredDocument,
        Site,
        Slot,
    )
    from booking.services import OpeningRange, slots_publish

    people = list(
        Applicant.objects.filter(user__email__regex=r"^applicant\d+@")
        .order_by("pk")
        .values_list("pk", "user_id")[:applicants]
    )
    if len(people) < applicants:
        raise SystemExit(f"demo_seed made {len(people)} applicants, not {applicants}")
    keys = common.api_tokens_create([user_id for _, user_id in people], label="bench")
    site = Site.objects.get(slug=SITE)
    join = Procedure.objects.create(
        slug=JOIN_PROCEDURE,
        name="Bench join",
        required_document=RequiredDocument.EITHER,
        cutoff_hours=0,
        horizon_days=30,
    )
    AllocationPolicy.objects.create(procedure=join, mode=AllocationMode.QUEUE)
    sold_out = Procedure.objects.create(
        slug=SOLD_OUT_PROCEDURE,
        name="Bench sold out",
        required_document=RequiredDocument.EITHER,
        cutoff_hours=0,
        horizon_days=30,
    )
    minutes = max(1, 600 // slots)
    end = (8 * 60) + minutes * slots
    slots_publish(
        actor=User.objects.get(role=Role.AGENT, email__startswith="agent@"),
        site=site,
        procedure=sold_out,
        date_from=timezone.localdate() + timedelta(days=1),
        date_to=timezone.localdate() + timedelta(days=1),
        weekdays=range(7),
        opening_ranges=[OpeningRange(time(8, 0), time(end // 60, end % 60))],
        counters=1,
        slot_minutes=minutes,
        visible_at=timezone.now(),
    )
    full = Slot.objects.filter(procedure=sold_out)
    # The bench's own bookkeeping: the slots full without appointments.
    full.update(booked=F("capacity"))
    if list_days:
        # The list's capacity, all given out: what a scarce procedure's list has
        # when people join it (a join reads whether a seat waits to be offered).
        slots_publish(
            actor=User.objects.get(role=Role.AGENT, email__startswith="agent@"),
            site=site,
            procedure=join,
            date_from=timezone.localdate() + timedelta(days=1),
            date_to=timezone.localdate() + timedelta(days=list_days),
            weekdays=range(7),
            opening_ranges=[OpeningRange(time(8, 0), time(18, 0))],
            counters=1,
            slot_minutes=6,
            visible_at=timezone.now(),
        )
        Slot.objects.filter(procedure=join).update(booked=F("capacity"))
    if waiting:
        _waiting_seed(waiting, procedure_id=join.pk, site_id=site.pk)
    return {
        "people": [(pk, keys[user_id]) for pk, user_id in people],
        "waiting": waiting,
        "join": join.pk,
        "sold_out": sold_out.pk,
        "slots": list(full.order_by("pk").values_list("pk", flat=True)),
    }


def _waiting_seed(waiting: int, *, procedure_id: int, site_id: int) -> None:
    """``waiting`` people on the list before the storm, with their accounts and
    identities (``bench.allocation.seed``), then ``VACUUM ANALYZE``."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.allocation.seed import accounts_seed, entries_seed

    now = timezone.now()
    with transaction.atomic():
        first_user, applicants = accounts_seed(waiting, now)
        entries_seed(
            entries=waiting,
            procedure_id=procedure_id,
            site_ids=[site_id],
            first_user=first_user,
            applicants=applicants,
            now=now,
            rng=random.Random(19),
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _requests(setup: dict, path: str, duplicates: int, seed: int) -> list[dict]:
    people = setup["people"]
    if path == "sold-out":
        slots = setup["slots"]
        return [
            {
                "method": "POST",
                "path": "/api/v1/appointments/",
                "headers": {"Authorization": f"Token {key}"},
                "body": {"slot": slots[index % len(slots)]},
            }
            for index, (_pk, key) in enumerate(people)
        ]
    requests = [
        {
            "method": "POST",
            "path": "/api/v1/waitlist/",
            "headers": {"Authorization": f"Token {key}"},
            "body": {"procedure": JOIN_PROCEDURE, "sites": [SITE]},
        }
        for _pk, key in people
    ]
    # Each duplicate right after its first: both in flight at once.
    for index in sorted(random.Random(seed).sample(range(len(people)), duplicates), reverse=True):
        requests.insert(index + 1, dict(requests[index]))
    return requests


def _reset(setup: dict) -> None:
    """Take the storm's people off the list before a join round (the bench's
    bookkeeping, not a service); those waiting before the storm stay."""
    from django.db import connection

    from allocation.models import WaitlistEntry

    WaitlistEntry.objects.filter(
        procedure_id=setup["join"], applicant_id__in=[pk for pk, _key in setup["people"]]
    ).delete()
    connection.close()


def _check(result: common.Result, setup: dict, path: str, duplicates: int) -> list[str]:
    from django.db import connection
    from django.db.models import Count

    from allocation.models import ENTRY_IN_FORCE, WaitlistEntry
    from booking.models import Appointment

    problems = []
    n = len(setup["people"])
    if result.server_errors or result.connection_errors:
        problems.append(
            f"{result.server_errors} 5xx, {result.connection_errors} connection errors "
            f"(e.g. {result.bodies.get(500, '')[:200]!r})"
        )
    if path == "sold-out":
        if result.count(409) != n:
            problems.append(f"{result.count(409)} refusals (409), expected {n}: {result.bodies}")
        if Appointment.objects.filter(procedure_id=setup["sold_out"]).exists():
            problems.append("an appointment was made in a full slot")
    else:
        if result.count(201) != n or result.count(409) != duplicates:
            problems.append(
                f"201: {result.count(201)} (expected {n}), 409: {result.count(409)} "
                f"(expected {duplicates}); {result.bodies}"
            )
        if duplicates and "already_waiting" not in result.bodies.get(409, ""):
            problems.append(f"a duplicate answered {result.bodies.get(409)!r}")
        counts = WaitlistEntry.objects.filter(
            procedure_id=setup["join"], status__in=ENTRY_IN_FORCE
        ).aggregate(
            entries=Count("pk"),
            people=Count("applicant", distinct=True),
            identities=Count("identity_key", distinct=True),
        )
        expected = n + setup["waiting"]
        if set(counts.values()) != {expected}:
            problems.append(
                f"the list holds {counts}, expected {expected} of each "
                f"({n} joined, {setup['waiting']} waiting before)"
            )
    connection.close()
    return problems


def _warm_up(server: common.Server, setup: dict) -> None:
    # Each applicant's client loads the procedures first, as a real one does: the
    # storm then measures joining, not every token's first use.
    common.load(
        server.base,
        [
            {"path": "/api/v1/procedures/", "headers": {"Authorization": f"Token {key}"}}
            for _, key in setup["people"]
        ],
        concurrency=16,
    )


def _report(runs: list[Run]) -> None:
    def median(path: str, value) -> float:
        return statistics.median(value(r) for r in runs if r.path == path)

    print()
    print("   path       req/s    p50 ms   p99 ms   app CPU/req  PG CPU/req")
    for path, status in (("sold-out", 409), ("join", 201)):
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
    rps = [pick[n, "sold-out"].result.rps / pick[n, "join"].result.rps for n in rounds]
    cpu = [
        (pick[n, "join"].app_cpu + pick[n, "join"].db_cpu)
        / max(1e-9, pick[n, "sold-out"].app_cpu + pick[n, "sold-out"].db_cpu)
        for n in rounds
    ]
    print()
    print(
        "   a join costs, per request, against a refused booking (median of the rounds): "
        f"{statistics.median(rps):.2f}x the time (req/s ratio), "
        f"{statistics.median(cpu):.2f}x the CPU (app + PostgreSQL)"
    )


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
        setup = _setup(args.applicants, args.slots, args.list_days, args.waiting)
        from django.db import connection

        connection.close()
        server = common.Server(
            "guichet",
            "config.wsgi:application",
            "config.settings",
            extra_env={**common.redis_env(), **RATE_LIMITS_RAISED},
        )
        with common.servers(url, server):
            _warm_up(server, setup)
            for round_ in range(args.rounds):
                order = PATHS if round_ % 2 == 0 else PATHS[::-1]
                for path in order:
                    _reset(setup)
                    requests = _requests(setup, path, duplicates, seed=round_)
                    before = common.cpu_snapshot()
                    result = common.load(server.base, requests, concurrency=args.concurrency)
                    spent = common.cpu_spent(before, common.cpu_snapshot())
                    expected = duplicates if path == "join" else 0
                    problems = _check(result, setup, path, expected)
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
    _report(runs)
    failed = [run for run in runs if run.problems]
    print(
        "   correctness: "
        + (
            "every join round put each applicant on the list once, no 5xx"
            if not failed
            else "FAILED"
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
