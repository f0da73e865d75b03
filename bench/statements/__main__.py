"""Where a hot path's PostgreSQL CPU goes, statement by statement:
``python -m bench.statements`` (``run.sh``).

The join storm and the release storm give the CPU of PostgreSQL per request,
all of it; this bench says which statement spends it and whether PostgreSQL
plans it again each time. On a fresh database (the join storm's world:
``--applicants`` people with API tokens, a procedure given out by its list,
its ``--list-days`` days of capacity all given out, a procedure whose slots
are all full, one with a free seat for each: ``bench.join_storm.world``), in
this process, through the WSGI application with the
production settings (DEBUG off):

1. ``--rounds`` rounds of each path, ``--applicants`` requests each: ``join``
   (``POST /api/v1/waitlist/``, the list emptied before each round),
   ``sold-out`` (``POST /api/v1/appointments/`` for a full slot, a refused
   booking) and ``booked`` (the same for a free seat, a booking made, the
   appointments removed before each round);
2. around every statement, the CPU its backend spent on it (the backend's
   ``/proc/<pid>/schedstat``: PostgreSQL on this machine, Linux); the first
   round of each path warms the process up and is not counted;
3. at the end, each prepared statement's generic and custom plans
   (``pg_prepared_statements``): a hot statement still planned for its values
   after its fifth run (custom plans past 5) costs its planning at each
   request (the join's read of its sites did: 0.35 ms a join).

Prints, per path: the app's CPU per request (this process), the backend's,
and each statement's share. Exits 1 if a prepared statement of the last round
has more than 5 custom plans.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench import common
from bench.join_storm.__main__ import RATE_LIMITS_RAISED
from bench.join_storm.world import requests_of, reset, setup

CUSTOM_PLANS_MAX = 5  # PostgreSQL's own tries before it weighs a generic plan


class Backend:
    """The CPU a PostgreSQL backend spent, in ns (``/proc/<pid>/schedstat``)."""

    def __init__(self) -> None:
        self.readable = Path("/proc/self/schedstat").exists()

    def cpu(self) -> int:
        from django.db import connection

        raw = connection.connection
        if not self.readable or raw is None or raw.closed:
            return 0
        try:
            with open(f"/proc/{raw.info.backend_pid}/schedstat") as stat:
                return int(stat.read().split()[0])
        except (OSError, ValueError):  # another machine's PostgreSQL
            return 0


def _statement_spend(backend: Backend, spent: dict) -> None:
    """Count each statement's backend CPU in ``spent`` (statement -> [runs, ns])."""
    import psycopg

    execute = psycopg.Cursor.execute

    def measured(cursor, query, params=None, **kwargs):
        before = backend.cpu()
        try:
            return execute(cursor, query, params, **kwargs)
        finally:
            text = query if isinstance(query, str) else str(query)
            row = spent[" ".join(text.split())[:100]]
            row[0] += 1
            row[1] += backend.cpu() - before

    psycopg.Cursor.execute = measured


def _call(application, request: dict) -> int:
    body = json.dumps(request["body"]).encode()
    environ = {
        "REQUEST_METHOD": request.get("method", "POST"),
        "PATH_INFO": request["path"],
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request["headers"].items()},
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])

    chunks = application(environ, start_response)
    try:
        b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return answer["status"]


def _plans() -> list[tuple[str, int, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT left(regexp_replace(statement, '\\s+', ' ', 'g'), 100), "
            "generic_plans, custom_plans FROM pg_prepared_statements"
        )
        return cursor.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description="A hot path's PostgreSQL CPU by statement.")
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="Counted rounds (after one more).")
    parser.add_argument("--list-days", type=int, default=20)
    parser.add_argument("--database", default="guichet_bench_statements")
    args = parser.parse_args()
    common.header(
        f"statements: {args.applicants} requests a round, {args.rounds} rounds counted, "
        "in one process"
    )
    backend = Backend()
    if not backend.readable:
        print("   /proc/<pid>/schedstat is not readable here: backend CPU shows 0")
    os.environ.update(RATE_LIMITS_RAISED)
    failed = []
    with common.bench_database(args.database) as url:
        common.django_setup(url)
        common.demo_seed(applicants=args.applicants)
        world = setup(args.applicants, 100, args.list_days)
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection

        application = WSGIHandler()
        spent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        _statement_spend(backend, spent)
        for path in ("join", "sold-out", "booked"):
            expected = 409 if path == "sold-out" else 201
            app_cpu = 0.0
            backend_cpu = 0
            counted = 0
            by_statement: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for round_ in range(args.rounds + 1):
                if path != "sold-out":
                    reset(world)
                requests = requests_of(world, path, 0, seed=round_)
                spent.clear()
                started = time.process_time()
                for request in requests:
                    status = _call(application, request)
                    if status != expected:
                        failed.append(f"{path}: answered {status}, not {expected}")
                        break
                if round_ == 0:
                    continue  # the warm-up
                app_cpu += time.process_time() - started
                counted += len(requests)
                for statement, (runs, ns) in spent.items():
                    by_statement[statement][0] += runs
                    by_statement[statement][1] += ns
                    backend_cpu += ns
            print(
                f"\n   {path}: app {app_cpu * 1000 / max(1, counted):.2f} ms a request, "
                f"PostgreSQL {backend_cpu / 1e6 / max(1, counted):.3f} ms"
            )
            for statement, (runs, ns) in sorted(by_statement.items(), key=lambda i: -i[1][1]):
                print(
                    f"     {ns / 1e6 / max(1, counted):6.3f} ms  {runs / max(1, counted):4.1f}x  "
                    f"{statement}"
                )
            print("     prepared statements (generic plans, custom plans):")
            for statement, generic, custom in _plans():
                mark = "" if custom <= CUSTOM_PLANS_MAX else "  <- planned at each run"
                print(f"       {generic:6d} {custom:6d}  {statement}{mark}")
                if custom > CUSTOM_PLANS_MAX:
                    failed.append(f"{path}: planned at each run: {statement}")
            connection.close()
    if failed:
        print("\n   FAILED: " + "; ".join(sorted(set(failed))))
        return 1
    print("\n   every prepared statement keeps a generic plan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
