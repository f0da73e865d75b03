"""Availability over a million slots: ``python -m bench.availability`` (``run.sh``).

Fills a fresh database with 3 sites x 10 procedures x 26 weeks of slots
(weekdays, every 5 minutes from 08:00 to 15:05, three pools: 1,006,200 rows,
by COPY), most of them already full (``--full``, default 80 %: scarcity).
Then:

- in process (Django test client, no HTTP): ``GET /api/v1/availability/``
  p50/p95 over a mix of queries, without the cache and with it;
- over HTTP at concurrency 32 (gunicorn, 4 sync workers): requests/s and
  p50/p99 of Guichet and of the baseline view (``bench.baseline``), in
  alternation, and the ratio. Guichet is measured at rest and while capacity
  changes at each rate of ``--changes`` (per second, each in a random
  procedure, as a booking or a cancellation would mark it in Redis: its
  answers are then computed again, after their first second): the ratio of
  each against the baseline of the same round.

The mix: for each procedure, its default window (60 days ahead) and each of
the next four weeks, for every site.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import statistics
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench import common

SITES = 3
PROCEDURES = 10
WEEKS = 26
TIMES = [(8 * 60 + 5 * i) for i in range(86)]  # 08:00 ... 15:05
POOLS = ("public", "mediation", "priority")


def _fill(full_fraction: float, seed: int) -> tuple[int, str, list[str]]:
    """Sites, procedures, a token, and the slots by COPY. Returns (slots, key, slugs)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, User
    from accounts.services import api_token_create
    from booking.models import Procedure, RequiredDocument, Site

    sites = [
        Site.objects.create(
            slug=f"site-{n}", name=f"Site {n}", address="1 rue", postcode="93000", city="Bobigny"
        )
        for n in range(SITES)
    ]
    procedures = [
        Procedure.objects.create(
            slug=f"procedure-{n}",
            name=f"Procedure {n}",
            required_document=RequiredDocument.EITHER,
            horizon_days=60,
            cutoff_hours=0,
        )
        for n in range(PROCEDURES)
    ]
    user = User.objects.create_user("bench@guichet.test", role=Role.APPLICANT)
    _token, key = api_token_create(user=user)

    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Paris")
    published = timezone.now() - timedelta(days=1)
    first_day = timezone.localdate() + timedelta(days=1)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(
            "COPY booking_slot (site_id, procedure_id, starts_at, ends_at, pool, capacity, "
            "booked, published_at) FROM STDIN"
        ) as copy:
            buffer = io.StringIO()
            for day_offset in range(WEEKS * 7):
                day = first_day + timedelta(days=day_offset)
                if day.weekday() >= 5:
                    continue
                for minutes in TIMES:
                    local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(
                        minutes=minutes
                    )
                    start = local.astimezone(UTC)
                    end = start + timedelta(minutes=5)
                    for site in sites:
                        for procedure in procedures:
                            for pool in POOLS:
                                capacity = 2 if pool == "public" else 1
                                booked = capacity if rng.random() < full_fraction else 0
                                buffer.write(
                                    f"{site.pk}\t{procedure.pk}\t{start.isoformat()}\t"
                                    f"{end.isoformat()}\t{pool}\t{capacity}\t{booked}\t"
                                    f"{published.isoformat()}\n"
                                )
                                count += 1
                if buffer.tell() > 4_000_000:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE booking_slot")
    return count, key, [p.slug for p in procedures]


def _queries(slugs: list[str]) -> list[str]:
    """The paths of the mix (query strings both apps understand)."""
    today = date.today()
    paths = []
    for slug in slugs:
        paths.append(f"?procedure={slug}&date_from={today}&date_to={today + timedelta(days=59)}")
        for week in range(4):
            start = today + timedelta(days=1 + 7 * week)
            paths.append(f"?procedure={slug}&date_from={start}&date_to={start + timedelta(days=6)}")
    return paths


def _in_process(key: str, paths: list[str], iterations: int, seconds: float) -> list[float]:
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = seconds
    cache.clear()
    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Token {key}")
    rng = random.Random(7)
    timings = []
    for _ in range(iterations):
        path = rng.choice(paths)
        started = time.perf_counter()
        response = client.get(f"/api/v1/availability/{path}", secure=True)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
    return timings


def _label(rate: int) -> str:
    return "guichet, at rest" if rate == 0 else f"guichet, {rate} changes/s"


@contextlib.contextmanager
def _changing(rate: int, slugs: list[str]):
    """While the block runs, make ``rate`` capacity changes per second, each in
    a random procedure, known to the servers' shared cache as one process
    committing them would make them known
    (``booking.availability_cache.capacity_changed``)."""
    if rate <= 0:
        yield
        return
    from booking.availability_cache import changes_mark
    from core.cache import RedisCache

    shared = RedisCache(common.redis_env()["REDIS_URL"], {})
    stop = threading.Event()
    rng = random.Random(rate)

    def mark() -> None:
        # In the servers' cache (this process's own has no Redis), as a
        # server process's commit does (at most one write a second per
        # procedure: the changes in between are covered by the last mark).
        while not stop.wait(1 / rate):
            changes_mark([rng.choice(slugs)], backend=shared)

    thread = threading.Thread(target=mark, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description="Availability over a million slots.")
    parser.add_argument("--full", type=float, default=0.8, help="Share of full slots.")
    parser.add_argument("--iterations", type=int, default=400, help="In-process requests.")
    parser.add_argument("--requests", type=int, default=1500, help="HTTP requests per run.")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="Alternations over HTTP.")
    parser.add_argument(
        "--changes",
        default="5,50",
        help="Capacity changes per second to measure Guichet under, besides at rest "
        "(comma-separated; empty: at rest only).",
    )
    parser.add_argument("--database", default="guichet_bench_availability")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    common.header("availability: 3 sites x 10 procedures x 26 weeks of slots")
    with common.bench_database(args.database, keep=args.keep_db) as url:
        common.django_setup(url)
        started = time.monotonic()
        slots, key, slugs = _fill(args.full, seed=1)
        print(f"   {slots:,} slots ({args.full:.0%} full) in {time.monotonic() - started:.0f} s")
        paths = _queries(slugs)
        from django.db import connection

        for label, seconds in (("without cache", 0.0), ("with the 1 s cache", 1.0)):
            timings = _in_process(key, paths, args.iterations, seconds)
            print(
                f"   in process, {label:<18} p50 {common.ms(statistics.median(timings))} ms, "
                f"p95 {common.ms(common.percentile(timings, 95))} ms "
                f"({args.iterations} requests)"
            )
        connection.close()

        # Production runs with Redis: the workers share the availability cache.
        guichet = common.Server(
            "guichet",
            "config.wsgi:application",
            "config.settings",
            extra_env=common.redis_env(),
        )
        baseline = common.Server(
            "baseline", "bench.baseline.wsgi:application", "bench.baseline.settings"
        )
        rng = random.Random(11)
        mix = [rng.choice(paths) for _ in range(args.requests)]
        targets = {
            "guichet": [
                {"path": f"/api/v1/availability/{p}", "headers": {"Authorization": f"Token {key}"}}
                for p in mix
            ],
            "baseline": [{"path": f"/availability/{p}"} for p in mix],
        }
        rates = [0] + [int(rate) for rate in args.changes.split(",") if rate.strip()]
        if not common.redis_env()["REDIS_URL"]:
            rates = [0]  # the changes are marked in Redis; without it, at rest only
        # Name -> (server, capacity changes per second while it is loaded).
        runs = {"baseline": ("baseline", 0), **{_label(rate): ("guichet", rate) for rate in rates}}
        results: dict[str, list[common.Result]] = {name: [] for name in runs}
        with common.servers(url, guichet, baseline):
            servers = {"guichet": guichet, "baseline": baseline}
            for name in ("guichet", "baseline"):  # warm up
                common.load(servers[name].base, targets[name][:100], concurrency=8)
            for turn in range(args.rounds):
                order = list(runs) if turn % 2 == 0 else list(reversed(runs))
                for name in order:
                    target, rate = runs[name]
                    with _changing(rate, slugs):
                        result = common.load(
                            servers[target].base, targets[target], concurrency=args.concurrency
                        )
                    results[name].append(result)
                    bad = len(result.samples) - result.count(200)
                    print(
                        f"   HTTP c={args.concurrency} {name:<22} {result.rps:7.0f} req/s  "
                        f"p50 {common.ms(common.percentile(result.latencies(200), 50))} ms  "
                        f"p99 {common.ms(common.percentile(result.latencies(200), 99))} ms"
                        + (f"  {bad} not 200: {result.bodies}" if bad else "")
                    )
    shared = bool(common.redis_env()["REDIS_URL"])
    print(f"   Guichet's cache: {'Redis, shared by the workers' if shared else 'per process'}")
    for name in runs:
        if name == "baseline":
            continue
        ratios = [
            mine.rps / base.rps
            for mine, base in zip(results[name], results["baseline"], strict=True)
        ]
        ratio = statistics.median(ratios)
        print(
            f"   HTTP {name}: Guichet/baseline req/s = {ratio:.2f} (median of {args.rounds} "
            f"rounds; target >= 3: {'meets' if ratio >= 3 else 'BELOW'})"
        )
    failed = any(len(r.samples) != r.count(200) for done in results.values() for r in done)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
