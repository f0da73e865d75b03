"""Availability over a million slots: ``python -m bench.availability`` (``run.sh``).

Fills a fresh database with 3 sites x 10 procedures x 26 weeks of slots
(weekdays, every 5 minutes from 08:00 to 15:05, three pools: 1,006,200 rows,
by COPY), most of them already full (``--full``, default 80 %: scarcity).
Then:

- in process (Django test client, no HTTP): ``GET /api/v1/availability/``
  p50/p95 over a mix of queries, without the cache and with it;
- over HTTP at concurrency 32 (gunicorn, 4 sync workers): requests/s and
  p50/p99 of Guichet and of the baseline view (``bench.baseline``), in
  alternation, and the ratio.

The mix: for each procedure, its default window (60 days ahead) and each of
the next four weeks, for every site.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description="Availability over a million slots.")
    parser.add_argument("--full", type=float, default=0.8, help="Share of full slots.")
    parser.add_argument("--iterations", type=int, default=400, help="In-process requests.")
    parser.add_argument("--requests", type=int, default=1500, help="HTTP requests per run.")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="Alternations over HTTP.")
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
        results: dict[str, list[common.Result]] = {"guichet": [], "baseline": []}
        with common.servers(url, guichet, baseline):
            servers = {"guichet": guichet, "baseline": baseline}
            for name in ("guichet", "baseline"):  # warm up
                common.load(servers[name].base, targets[name][:100], concurrency=8)
            for turn in range(args.rounds):
                order = ("baseline", "guichet") if turn % 2 == 0 else ("guichet", "baseline")
                for name in order:
                    result = common.load(
                        servers[name].base, targets[name], concurrency=args.concurrency
                    )
                    results[name].append(result)
                    bad = len(result.samples) - result.count(200)
                    print(
                        f"   HTTP c={args.concurrency} {name:<9} {result.rps:7.0f} req/s  "
                        f"p50 {common.ms(common.percentile(result.latencies(200), 50))} ms  "
                        f"p99 {common.ms(common.percentile(result.latencies(200), 99))} ms"
                        + (f"  {bad} not 200: {result.bodies}" if bad else "")
                    )
    rps = {name: statistics.median(r.rps for r in runs) for name, runs in results.items()}
    ratio = rps["guichet"] / rps["baseline"]
    shared = bool(common.redis_env()["REDIS_URL"])
    print(f"   Guichet's cache: {'Redis, shared by the workers' if shared else 'per process'}")
    print(
        f"   HTTP Guichet/baseline req/s = {ratio:.2f} (median of {args.rounds} runs each; "
        f"target >= 3: {'meets' if ratio >= 3 else 'BELOW'})"
    )
    failed = any(len(r.samples) != r.count(200) for runs in results.values() for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
