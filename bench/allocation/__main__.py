"""The allocation at scale: ``python -m bench.allocation`` (``run.sh``).

On a fresh PostgreSQL database (dropped afterwards), seeds in bulk a procedure
given out by its waiting list at 3 sites, ``--entries`` people waiting (100,000:
sites they reach and weekdays they cannot come drawn at random, a few in a
priority class, joined over two months) and ``--seats`` seats of the list's
pool (10,000) published at one moment over two weeks. Then, in this process
(production settings, DEBUG off):

0. **the beat's sweep of stale classes** (``entries_reclassify_due``, every
   minute) when nothing is stale, against its baseline of the same run: a
   count of the entries in force, the least a pass over the list costs
   (``--sweeps`` each, the medians);
1. **the baseline of the same run**: the least database work the allocation
   cannot avoid, in bare SQL, rolled back: read the list in its order and
   write one row per seat (``INSERT ... SELECT ... LIMIT``), hold the seats
   (one ``UPDATE``);
2. **the allocation**: ``allocation.services.offers_allocate``, run again
   until it offers nothing more (one run pages through the list by itself):
   the time to offer every seat, and the offers' count checked;
3. **the baseline of an accept**: per accept, the bare transaction that turns
   a hold into a booking (``UPDATE`` the slot, ``INSERT`` a row), rolled back;
4. **the accepts**: ``offer_accept`` for ``--accepts`` open offers (10,000),
   by the people themselves, in ``--workers`` processes: the total and the
   cost per accept (wall and CPU of this process and its PostgreSQL backend).

Checks at the end (exit 1 if wrong): every seat offered once, each to a
different entry, held = open offers and booked = active appointments on every
slot, no slot over capacity. Prints a summary and its JSON (``--json FILE``
writes it too). The target of issue 19: seconds, not minutes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

from bench import common
from bench.allocation.seed import seed

TARGET_SECONDS = 60.0  # "seconds, not minutes"


def _cpu_self() -> float:
    times = os.times()
    return times.user + times.system


def _backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall and CPU time (this process and its database backend) of a block."""

    def __enter__(self):
        self.wall, self.cpu, self.db = time.monotonic(), _cpu_self(), _backend_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.wall
        self.cpu = _cpu_self() - self.cpu
        self.db = _backend_cpu() - self.db


# --- Baselines ---------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def baseline_allocate(procedure_id: int, seats: int) -> Clock:
    """Read the list in its order and write a row per seat; hold the seats. Rolled back."""
    from django.db import connection, transaction

    clock = Clock()
    try:
        with clock, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("CREATE TEMP TABLE bench_offer (entry_id bigint, n int)")
                cursor.execute(
                    "INSERT INTO bench_offer SELECT e.id, row_number() OVER () "
                    "FROM allocation_waitlistentry e WHERE e.procedure_id = %s "
                    "AND e.status = 'waiting' "
                    "ORDER BY e.priority_class, e.queued_at, e.id LIMIT %s",
                    [procedure_id, seats],
                )
                cursor.execute(
                    "UPDATE booking_slot SET held = capacity - booked WHERE procedure_id = %s",
                    [procedure_id],
                )
            raise _Rollback
    except _Rollback:
        pass
    return clock


def baseline_accepts(procedure_id: int, accepts: int) -> Clock:
    """Per accept, the bare transaction: the hold becomes a booking, a row written.
    Rolled back as a whole (one savepoint each, as committed transactions cost)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM booking_slot WHERE procedure_id = %s ORDER BY id", [procedure_id]
        )
        slot_ids = [row[0] for row in cursor.fetchall()]
    clock = Clock()
    try:
        with clock, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("CREATE TEMP TABLE bench_booking (slot_id bigint, at timestamptz)")
                for n in range(accepts):
                    with transaction.atomic():
                        slot_id = slot_ids[n % len(slot_ids)]
                        cursor.execute(
                            "UPDATE booking_slot SET held = held - 1, booked = booked + 1 "
                            "WHERE id = %s",
                            [slot_id],
                        )
                        cursor.execute("INSERT INTO bench_booking VALUES (%s, now())", [slot_id])
            raise _Rollback
    except _Rollback:
        pass
    return clock


def baseline_sweep() -> Clock:
    """The least a sweep over the whole list does: count the entries in force."""
    from django.db import connection

    from allocation.models import ENTRY_IN_FORCE

    with Clock() as clock, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM allocation_waitlistentry WHERE status = ANY(%s)",
            [[str(status) for status in ENTRY_IN_FORCE]],
        )
        cursor.fetchone()
    return clock


# --- The real thing ------------------------------------------------------------------------


def sweep(repeat: int) -> dict:
    """The beat's sweep (``entries_reclassify_due``: every entry in force
    compared with the rule of its class) when nothing is stale, and its
    baseline (``baseline_sweep``), each ``repeat`` times, one after the other:
    the medians, in ms. The seeded classes follow their facts: a sweep that
    changes any is a problem."""
    import statistics

    from django.utils import timezone

    from allocation.services import entries_reclassify_due

    now = timezone.now()
    sweeps, scans, changed = [], [], 0
    for _ in range(repeat):
        with Clock() as clock:
            changed += entries_reclassify_due(now=now)
        sweeps.append(clock.wall)
        scans.append(baseline_sweep().wall)
    return {
        "ms": round(1000 * statistics.median(sweeps), 2),
        "baseline_ms": round(1000 * statistics.median(scans), 2),
        "repeat": repeat,
        "changed": changed,
    }


def allocate_all(procedure_id: int) -> tuple[Clock, list[int]]:
    from allocation.services import offers_allocate

    runs = []
    with Clock() as clock:
        while True:
            made = len(offers_allocate(procedure_id=procedure_id))
            runs.append(made)
            if not made:
                break
    return clock, runs


def _accept_worker(args) -> tuple[float, float, float, int, int]:
    (offer_ids,) = args
    from django.db import connection

    from accounts.models import User
    from allocation.models import Offer
    from allocation.services import offer_accept

    connection.close()  # a connection of its own, not the parent's
    users = dict(Offer.objects.filter(pk__in=offer_ids).values_list("pk", "applicant__user_id"))
    actors = User.objects.in_bulk(set(users.values()))
    errors = 0
    with Clock() as clock:
        for offer_id in offer_ids:
            try:
                offer_accept(actor=actors[users[offer_id]], offer=offer_id)
            except Exception as exc:  # counted and shown: the check fails the run
                errors += 1
                if errors <= 3:
                    print(f"   accept {offer_id}: {exc!r}", file=sys.stderr)
    connection.close()
    return clock.wall, clock.cpu, clock.db, len(offer_ids), errors


def accept_all(accepts: int, workers: int) -> dict:
    from django.db import connection

    from allocation.models import Offer, OfferStatus

    ids = list(
        Offer.objects.filter(status=OfferStatus.OPEN).order_by("pk").values_list("pk", flat=True)
    )[:accepts]
    connection.close()
    chunks = [(ids[n::workers],) for n in range(workers)]
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(_accept_worker, chunks)
    wall = time.monotonic() - started
    done = sum(r[3] for r in results)
    return {
        "accepts": done,
        "workers": workers,
        "wall_seconds": round(wall, 2),
        "per_accept_ms_wall": round(1000 * sum(r[0] for r in results) / max(done, 1), 2),
        "per_accept_ms_cpu_app": round(1000 * sum(r[1] for r in results) / max(done, 1), 2),
        "per_accept_ms_cpu_db": round(1000 * sum(r[2] for r in results) / max(done, 1), 2),
        "errors": sum(r[4] for r in results),
    }


def check(procedure_id: int, seats: int, accepted: int) -> list[str]:
    from django.db import connection

    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE s.held <> coalesce(o.n, 0)),
                   count(*) FILTER (WHERE s.booked <> coalesce(a.n, 0)),
                   count(*) FILTER (WHERE s.booked + s.held > s.capacity),
                   sum(s.held), sum(s.booked)
            FROM booking_slot s
            LEFT JOIN (SELECT slot_id, count(*) n FROM allocation_offer
                       WHERE status = 'open' GROUP BY slot_id) o ON o.slot_id = s.id
            LEFT JOIN (SELECT slot_id, count(*) n FROM booking_appointment
                       WHERE status = 'booked' GROUP BY slot_id) a ON a.slot_id = s.id
            WHERE s.procedure_id = %s
            """,
            [procedure_id],
        )
        held_off, booked_off, over, held, booked = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), count(DISTINCT entry_id) FROM allocation_offer "
            "WHERE status IN ('open', 'accepted')"
        )
        offers, entries = cursor.fetchone()
    if held_off or booked_off or over:
        problems.append(
            f"{held_off} slots held != open offers, {booked_off} booked != "
            f"appointments, {over} over capacity"
        )
    if offers != seats or entries != seats:
        problems.append(f"{offers} offers to {entries} entries for {seats} seats")
    if booked != accepted or held + booked != seats:
        problems.append(f"booked {booked}, held {held}: {accepted} accepted of {seats}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description="The waiting list's allocation at scale.")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seats", type=int, default=10_000)
    parser.add_argument("--accepts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="Processes that accept.")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--sweeps", type=int, default=9, help="Sweeps timed (the median).")
    parser.add_argument("--database", default="guichet_bench_allocation")
    parser.add_argument("--json", help="Also write the figures to this file.")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    common.header(
        f"allocation: {args.entries:,} entries, {args.seats:,} seats, {args.accepts:,} accepts"
    )
    load = os.getloadavg()
    print(f"   load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with common.bench_database(args.database, keep=args.keep_db) as url:
        common.django_setup(url)
        from django.db import connection

        rng = random.Random(args.seed)
        started = time.monotonic()
        world = seed(entries=args.entries, seats=args.seats, rng=rng)
        seeded = time.monotonic() - started
        print(f"   seeded in {seeded:.1f} s ({world['slots']} slots)")
        swept = sweep(args.sweeps)
        print(
            f"   sweep of stale classes, nothing stale: {swept['ms']} ms "
            f"(baseline, a count of the entries in force: {swept['baseline_ms']} ms)"
        )
        base = baseline_allocate(world["procedure"], args.seats)
        print(f"   baseline allocate (bare SQL): {base.wall:.2f} s")
        allocation, runs = allocate_all(world["procedure"])
        print(f"   offers_allocate: {allocation.wall:.2f} s, runs {runs}")
        accepts = min(args.accepts, sum(runs))
        base_accepts = baseline_accepts(world["procedure"], accepts)
        print(f"   baseline accepts (bare SQL): {base_accepts.wall:.2f} s")
        accepted = accept_all(accepts, args.workers)
        print(f"   offer_accept x {accepted['accepts']}: {accepted['wall_seconds']} s")
        problems = check(world["procedure"], args.seats, accepted["accepts"] - accepted["errors"])
        if swept["changed"]:
            problems.append(f"the sweep found {swept['changed']} stale classes; the seed has none")
        connection.close()
        common.broker_purge()
    figures = {
        "bench": "allocation",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": common.machine(),
        "load_average_start": [round(x, 2) for x in load],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "entries": args.entries,
        "seats": args.seats,
        "seed_seconds": round(seeded, 1),
        "sweep": swept,
        "allocate": {
            "seconds": round(allocation.wall, 2),
            "cpu_app_seconds": round(allocation.cpu, 2),
            "cpu_db_seconds": round(allocation.db, 2),
            "runs": runs,
            "offers": sum(runs),
            "baseline_seconds": round(base.wall, 3),
            "ratio_to_baseline": round(allocation.wall / max(base.wall, 1e-6), 1),
        },
        "accept": {
            **accepted,
            "baseline_seconds": round(base_accepts.wall, 2),
            "baseline_per_accept_ms": round(1000 * base_accepts.wall / max(accepts, 1), 3),
        },
        "problems": problems,
        "target_seconds": TARGET_SECONDS,
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    slow = allocation.wall > TARGET_SECONDS or accepted["wall_seconds"] > TARGET_SECONDS
    for problem in problems:
        print(f"!! {problem}", file=sys.stderr)
    if slow:
        print(f"!! slower than the target ({TARGET_SECONDS:.0f} s)", file=sys.stderr)
    return 1 if problems or accepted["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
