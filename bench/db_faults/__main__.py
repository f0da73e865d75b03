"""PostgreSQL restarted under traffic: ``python -m bench.db_faults --restart-postgres``.

Not part of ``make bench`` nor of CI: it restarts the machine's PostgreSQL
cluster, which breaks every other user's connections. Run it alone, under the
shared lock, e.g.::

    flock /tmp/guichet-heavy.lock .venv/bin/python -m bench.db_faults --restart-postgres

Without ``--restart-postgres`` it rehearses the same run without the restart.

Applicants book (and read availability) at a steady rate through gunicorn;
a few seconds in, ``pg_ctlcluster ... restart``. It checks that:

- during the outage answers are 503 with JSON ``service_unavailable`` (no
  500, no dropped connection);
- nothing is half-written: every slot's seat count equals its active
  appointments, every 201 has its appointment, and (once notifications
  exist) every appointment has its messages;
- service resumes by itself, and the applicants refused with 503 can book
  when they try again.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import common
from bench.release_storm.__main__ import _setup


def _restart_command() -> list[str]:
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


def _wait_for_database(url: str, timeout: float = 60.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _check_database(setup: dict, booked_ok: int) -> list[str]:
    from django.db import connection
    from django.db.models import Count, F, Q

    from booking.models import Appointment, AppointmentStatus, Slot

    connection.close()
    info = setup["phases"]["book"]
    problems = []
    active = Appointment.objects.filter(procedure_id=info["id"], status=AppointmentStatus.BOOKED)
    if active.count() != booked_ok:
        problems.append(f"{active.count()} appointments for {booked_ok} answers 201")
    off = (
        Slot.objects.filter(procedure_id=info["id"])
        .annotate(active=Count("appointments", filter=Q(appointments__status="booked")))
        .exclude(active=F("booked"))
        .count()
    )
    if off:
        problems.append(f"{off} slots whose seat count differs from their appointments")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('notifications_message') IS NOT NULL")
        has_outbox = cursor.fetchone()[0]
        if has_outbox:
            cursor.execute(
                "SELECT count(*) FROM booking_appointment a WHERE a.procedure_id = %s "
                "AND NOT EXISTS (SELECT 1 FROM notifications_message m "
                "WHERE m.appointment_id = a.id)",
                [info["id"]],
            )
            orphans = cursor.fetchone()[0]
            if orphans:
                problems.append(f"{orphans} appointments without their messages")
    connection.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description="PostgreSQL restarted under traffic.")
    parser.add_argument("--restart-postgres", action="store_true", help="Really restart it.")
    parser.add_argument("--applicants", type=int, default=600)
    parser.add_argument("--slots", type=int, default=50)
    parser.add_argument("--rate", type=float, default=60.0, help="Requests started per second.")
    parser.add_argument("--restart-at", type=float, default=6.0, help="Seconds into the run.")
    parser.add_argument("--database", default="guichet_bench_faults")
    args = parser.parse_args()
    common.header(
        f"database faults: {args.applicants} bookings and as many availability reads at "
        f"{args.rate:.0f} req/s; PostgreSQL "
        + (f"restarted at {args.restart_at:.0f} s" if args.restart_postgres else "NOT restarted")
    )
    problems: list[str] = []
    with common.bench_database(args.database) as url:
        common.django_setup(url)
        common.demo_seed(applicants=args.applicants)
        setup = _setup(args.applicants, args.slots)
        from django.db import connection

        connection.close()
        slots = setup["phases"]["book"]["slots"]
        requests = []
        for index, (_applicant, key) in enumerate(setup["people"]):
            auth = {"Authorization": f"Token {key}"}
            requests.append(
                {
                    "method": "POST",
                    "path": "/api/v1/appointments/",
                    "headers": auth,
                    "body": {"slot": slots[index % len(slots)]},
                }
            )
            requests.append({"path": "/api/v1/availability/?procedure=bench-book", "headers": auth})
        server = common.Server("guichet", "config.wsgi:application", "config.settings")
        restart: dict[str, float] = {}

        def restart_postgres() -> None:
            time.sleep(args.restart_at)
            restart["start"] = time.monotonic()
            if args.restart_postgres:
                subprocess.run(_restart_command(), check=True, capture_output=True)
            restart["end"] = time.monotonic()

        with common.servers(url, server):
            common.load(server.base, requests[1:41:2], concurrency=4)  # warm up (reads)
            thread = threading.Thread(target=restart_postgres)
            began = time.monotonic()
            thread.start()
            result = common.load(server.base, requests, concurrency=16, rate=args.rate)
            thread.join()
            _wait_for_database(url)
            outage = (restart["start"] - began, restart["end"] - began)
            statuses: dict[int, int] = {}
            for status, _latency, _start in result.samples:
                statuses[status] = statuses.get(status, 0) + 1
            print(f"   restart took {outage[1] - outage[0]:.1f} s (from {outage[0]:.1f} s)")
            print(f"   answers: {dict(sorted(statuses.items()))}")
            unavailable = [s for s in result.samples if s[0] == 503]
            if unavailable:
                first, last = min(s[2] for s in unavailable), max(s[2] for s in unavailable)
                print(f"   503 from {first:.1f} s to {last:.1f} s ({len(unavailable)} answers)")
                body = json.loads(result.bodies[503])
                print(f"   a 503 body: {body}")
                if body.get("code") != "service_unavailable" or not body.get("detail"):
                    problems.append(f"503 body is not the documented error: {body}")
                after = [s for s in result.samples if s[2] > last and s[0] in (200, 201)]
                if not after:
                    problems.append("no success after the last 503: service did not resume")
                else:
                    print(f"   first success after the outage at {min(s[2] for s in after):.1f} s")
            elif args.restart_postgres:
                print("   no 503 at all: every request fell outside the outage")
            others = {s: n for s, n in statuses.items() if s not in (200, 201, 503)}
            if others:
                problems.append(f"unexpected answers {others}: {result.bodies}")
            booked_ok = sum(1 for s in result.samples[0::2] if s[0] == 201)
            problems += _check_database(setup, booked_ok)
            # Those refused with 503 try again, once, now that the database is back.
            again = [
                request
                for request, sample in zip(requests[0::2], result.samples[0::2], strict=True)
                if sample[0] == 503
            ]
            if again:
                retry = common.load(server.base, again, concurrency=8)
                retried = {s[0] for s in retry.samples}
                print(f"   {len(again)} bookings refused with 503, tried again: {sorted(retried)}")
                if retried != {201}:
                    problems.append(f"retries answered {sorted(retried)}: {retry.bodies}")
                problems += _check_database(setup, booked_ok + retry.count(201))
    print("   " + ("ok: " + "no half-written booking, service resumed" if not problems else ""))
    for problem in problems:
        print(f"   PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
