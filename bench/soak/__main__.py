"""The soak: ``python -m bench.soak`` (``bench/soak/run.sh``, ``make bench``).

Guichet as in production, for a long while, under mixed traffic: gunicorn
(4 sync workers, persistent connections, DEBUG off) on a fresh PostgreSQL
database (``guichet_soak``, dropped afterwards), a real Celery worker
(``celery -A config worker``, as many prefork processes as cores, as in
production) on its own Redis database (``redis://127.0.0.1:6379/14``, flushed
before and after; also the shared cache), SMS through the twilio SDK to the
tests' fake Twilio and e-mail over SMTP to an aiosmtpd server, both in this
process. A separate process (``bench.soak.traffic``) plays N applicants with
API tokens: availability, their appointments, booking, cancelling,
rescheduling (and the home page), paced at ``--rate`` requests/s for
``--seconds`` (10 minutes by default). A few applicants subscribe to new-slot
alerts, so that cancellations also fan out alerts through the worker.

``--waitlisters`` more applicants play the waiting list of a third procedure,
given out by its list (mode ``queue``, its scarce seats in the pool
``queue``): they join, read their entries and offers, accept, decline or
ignore an offer, leave, resume a paused entry and cancel what the list gave
them. The worker makes the offers (the allocation after each commit that may
free a seat); the soak's beat (``bench/soak/beat.py``) sends the beat's tasks
every ``--beat-every`` seconds and ends, as if their hours had passed, the
holds of the offers left unanswered for ``--offer-hold`` seconds, so that
offers expire and entries pause during the run.

Then it checks, and exits non-zero if any check fails:

- HTTP: no 5xx, no connection error or timeout, and nothing but the expected
  statuses (a 429 means the run was rate-limited: see ``GENEROUS_LIMITS``);
- capacity, on every slot of the database: 0 <= booked <= capacity and
  booked == its active appointments; what the applicants were told they hold
  (appointments booked, and those given by an accepted offer) is what the
  database holds;
- the waiting list (``tests/helpers/waitlist_invariants.py``, as the state
  machine's; also every few seconds during the traffic, each time on one
  consistent snapshot): on every slot held + booked <= capacity and held == its open
  offers + its freed seats not shown yet; one open offer per entry, only for a
  waiting entry; no identity with two of (open offer, active appointment) for
  a procedure; one entry in force per identity and procedure; the entries in
  force, the offers accepted (with their appointments) and declined are those
  the waitlisters were told; none of their answers contradicted what they
  knew; offers were made and accepted. Then, traffic and worker stopped, one
  more round: the open offers are withdrawn (as a closure does), the
  allocation runs once more in this process on the whole list, and its offers
  must keep the order rule (no earlier entry that fits the seat, did not pass
  on it and could take an offer was left without one) and leave no free seat
  a waiting entry fits;
- messages: once the worker has drained the queue (bounded wait), every owed
  message (each booking, accepted offer, cancellation and reschedule owes an
  SMS and an e-mail, and so does each offer made; every alert and pause due)
  was sent, and exactly once (an offer's message is rightly not sent once the
  offer was answered, expired or withdrawn): each SMS row's provider
  id is one request the fake Twilio received, each e-mail row's Message-ID one
  message the SMTP server received, and nothing else arrived;
- memory: the resident memory (RSS, ``/proc``) of every gunicorn and Celery
  process, sampled every few seconds, does not grow after the warm-up by more
  than ``GROWTH_MAX_RATIO`` of its warmed-up size nor by more than
  ``GROWTH_MAX_MB`` (median of the first samples after the warm-up against
  the median of the last ones); no process is replaced during the run.

It also prints the outbox's backlog during the traffic (whether the worker
keeps up) and each process's RSS at every quarter of the run (the trend).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path

from bench import common
from bench.soak import memory
from bench.soak.beat import Beat
from bench.soak.checks import (
    PROCEDURES,
    QUEUE_PROCEDURE,
    Backlog,
    Snapshots,
    check_capacity,
    check_http,
    check_memory,
    check_messages,
    check_order_final,
    check_waitlist,
    drain,
)
from bench.soak.delivery import FakeTwilio, SmtpInbox

PASSWORD = "bench-soak-password-93"
SITES = ("bobigny", "saint-denis")
# Rate limits (``RATELIMITS`` in config/settings.py) stay on, counted in Redis
# as in production, but generous: the soak plays hundreds of applicants from
# one address, and a 429 fails it.
GENEROUS = "1000000/m"
GENEROUS_LIMITS = {
    f"RATELIMIT_{name}": GENEROUS
    for name in (
        "LOGIN_IP",
        "REGISTER_IP",
        "PHONE_CODE_ACCOUNT",
        "PHONE_CODE_PHONE",
        "PHONE_CODE_IP",
        "EMAIL_CONFIRM_ACCOUNT",
        "EMAIL_CONFIRM_EMAIL",
        "EMAIL_CONFIRM_IP",
        "AVAILABILITY_ACCOUNT",
        "AVAILABILITY_IP",
        "BOOKING_ACCOUNT",
        "BOOKING_IP",
        "SUBSTITUTION_IP",
        "SUBSTITUTION_IDENTITY",
        "SUBSTITUTION_PHONE",
        "SUBSTITUTION_EMAIL",
        "SUBSTITUTION_STATUS_IP",
        "WAITLIST_JOIN_ACCOUNT",
        "WAITLIST_JOIN_IP",
    )
}
# The mediator plays every walk-in of the soak: the daily caps (a broker's limit)
# would stop it within seconds. Their concurrency is tested in tests/mediation.
GENEROUS_CAPS = {
    "MEDIATION_DAILY_CAP_PER_MEDIATOR": "1000000",
    "MEDIATION_DAILY_CAP_PER_POINT": "1000000",
}


def _delivery_env(twilio: FakeTwilio, smtp: SmtpInbox, redis_url: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,  # the cache, shared by the web workers as in production
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": "+33700000000",
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE_URL": twilio.url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "false",
        "PUBLIC_BASE_URL": "https://rdv.example.gouv.fr",
        **GENEROUS_LIMITS,
        **GENEROUS_CAPS,
    }


def _setup(applicants: int, subscribers: int, waitlisters: int) -> dict:
    """Tokens for the seeded applicants; two procedures with two-seat slots for
    a week at two sites; a few alert subscriptions; a third procedure given out
    by its waiting list, for the waitlisters (tokens of their own)."""
    from django.utils import timezone

    from accounts.models import Role, User
    from booking.models import Applicant, Procedure, RequiredDocument, Site, Slot
    from booking.services import OpeningRange, slots_publish
    from notifications.models import AlertChannels
    from notifications.services import alert_subscribe

    everyone = list(
        Applicant.objects.filter(user__email__regex=r"^applicant\d+@")
        .select_related("user")
        .order_by("pk")[: applicants + waitlisters]
    )
    if len(everyone) < applicants + waitlisters:
        raise SystemExit(
            f"demo_seed made {len(everyone)} applicants, not {applicants + waitlisters}"
        )
    people, waiting = everyone[:applicants], everyone[applicants:]
    now = timezone.now()
    keys = common.api_tokens_create([p.user_id for p in everyone], label="soak")
    agent = User.objects.get(role=Role.AGENT, email__startswith="agent@")
    sites = [Site.objects.get(slug=slug) for slug in SITES]
    tomorrow = timezone.localdate() + timedelta(days=1)
    slots: dict[str, list[int]] = {}
    for slug in PROCEDURES:
        procedure = Procedure.objects.create(
            slug=slug,
            name=f"Soak {slug}",
            required_document=RequiredDocument.EITHER,
            cutoff_hours=0,
            horizon_days=30,
        )
        for site in sites:
            slots_publish(
                actor=agent,
                site=site,
                procedure=procedure,
                date_from=tomorrow,
                date_to=tomorrow + timedelta(days=6),
                weekdays=range(7),
                opening_ranges=[OpeningRange(time_of_day(9), time_of_day(12))],
                counters=2,
                slot_minutes=15,
                visible_at=now,
            )
        slots[slug] = list(
            Slot.objects.filter(procedure=procedure).order_by("pk").values_list("pk", flat=True)
        )
        if slug == PROCEDURES[0]:
            for person in people[:subscribers]:
                alert_subscribe(
                    applicant=person,
                    procedure=procedure,
                    site_ids=[site.pk for site in sites],
                    channels=AlertChannels.BOTH,
                )
    _queue_procedure(agent, sites, tomorrow, now)
    return {
        "tokens": [keys[p.user_id] for p in people],
        "slots": slots,
        "walk_ins": _walk_ins(max(5, applicants // 10)),
        "waitlisters": [keys[p.user_id] for p in waiting],
    }


def _queue_procedure(agent, sites, first_day, now) -> None:
    """``QUEUE_PROCEDURE``, given out by its waiting list at both sites: a week of
    one-seat slots at 09:00 (14 seats), published into the pool ``queue`` as an
    agent does once the supervisor chose the mode. Scarce on purpose: more
    people wait than seats are free, so the order matters."""
    from accounts.models import User
    from booking.models import AllocationMode, Procedure, RequiredDocument
    from booking.services import OpeningRange, allocation_mode_set, slots_publish
    from demo.seed.accounts import SUPERVISOR_EMAIL

    procedure = Procedure.objects.create(
        slug=QUEUE_PROCEDURE,
        name=f"Soak {QUEUE_PROCEDURE}",
        required_document=RequiredDocument.EITHER,
        cutoff_hours=0,
        horizon_days=30,
    )
    allocation_mode_set(
        actor=User.objects.get(email=SUPERVISOR_EMAIL),
        procedure=procedure,
        mode=AllocationMode.QUEUE,
    )
    for site in sites:
        slots_publish(
            actor=agent,
            site=site,
            procedure=procedure,
            date_from=first_day,
            date_to=first_day + timedelta(days=6),
            weekdays=range(7),
            opening_ranges=[OpeningRange(time_of_day(9), time_of_day(9, 15))],
            counters=1,
            slot_minutes=15,
            visible_at=now,
        )


def _walk_ins(count: int) -> list[list]:
    """``count`` walk-ins registered at the demo's access point by its mediator,
    each with a mobile phone, an e-mail and a consent to booking and to both
    contacts (so each booking owes two messages, like an applicant's); the
    mediator's API token with each: ``[[token, applicant id], ...]``."""
    from datetime import date

    from django.utils import timezone

    from accounts.models import User
    from booking.identity import Identity
    from demo.seed.accounts import MEDIATOR_EMAIL
    from mediation.models import ConsentGiver, ConsentMethod, ConsentPurpose
    from mediation.services import consent_give, walk_in_register

    mediator = User.objects.get(email=MEDIATOR_EMAIL)
    token = common.api_tokens_create([mediator.pk], label="soak-mediator")[mediator.pk]
    until = timezone.localdate() + timedelta(days=30)
    walk_ins = []
    for number in range(1, count + 1):
        person = walk_in_register(
            actor=mediator,
            identity=Identity(
                surname=f"Walk-in {number}",
                given_names="Soak",
                birth_date=date(1980, 1, 1) + timedelta(days=number),
                nationality="ML",
                document_type="agdref",
                document_number=f"77{number:08d}",
            ),
            phone=f"+336{number:08d}",
            email=f"walk-in{number}@example.test",
        )
        consent_give(
            actor=mediator,
            applicant=person,
            given_by=ConsentGiver.PERSON,
            given_by_name="",
            method=ConsentMethod.ORAL,
            purposes=[
                ConsentPurpose.BOOKING,
                ConsentPurpose.CONTACT_SMS,
                ConsentPurpose.CONTACT_EMAIL,
            ],
            valid_until=until,
        )
        walk_ins.append([token, person.pk])
    return walk_ins


def _traffic(base: str, setup: dict, args: argparse.Namespace) -> dict:
    spec = {
        "base": base,
        "seconds": args.seconds,
        "rate": args.rate,
        "concurrency": args.concurrency,
        "seed": args.seed,
        "procedures": setup["slots"],
        "sites": list(SITES),
        "applicants": setup["tokens"],
        "walk_ins": setup["walk_ins"],
        "queue": {"procedure": QUEUE_PROCEDURE, "sites": list(SITES)},
        "waitlisters": setup["waitlisters"],
    }
    with tempfile.TemporaryDirectory(prefix="guichet-soak-") as tmp:
        spec_path, out = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        subprocess.run(
            [common.PYTHON, "-m", "bench.soak.traffic", str(spec_path), str(out)],
            cwd=common.ROOT,
            check=True,
            timeout=args.seconds + 300,
        )
        return json.loads(out.read_text())


def _report_traffic(traffic: dict) -> None:
    samples = traffic["samples"]
    seconds = traffic["seconds"]
    print(
        f"   traffic: {len(samples)} requests in {seconds:.0f} s ({len(samples) / seconds:.1f} "
        f"req/s); events: {traffic['events']}, of which {traffic['mediated']} bookings by "
        "the access point's mediator for walk-ins"
    )
    kinds = sorted({s[0] for s in samples})
    for kind in kinds:
        mine = [s for s in samples if s[0] == kind]
        statuses = Counter(s[1] for s in mine)
        codes = Counter(s[4] for s in mine if s[4])
        latencies = [s[2] for s in mine]
        p50, p99 = (common.ms(common.percentile(latencies, p)) for p in (50, 99))
        p95 = common.ms(common.percentile(latencies, 95))
        print(
            f"     {kind:<13} {len(mine):>6}  p50 {p50:>7} ms  p95 {p95:>7} ms  p99 {p99:>7} ms  "
            f"{dict(sorted(statuses.items()))}" + (f" {dict(codes)}" if codes else "")
        )


def _collectstatic(url: str, root: str) -> None:
    """The pages need the fingerprinted static files, collected as the image
    build does (DEBUG off: no finders)."""
    subprocess.run(
        [common.PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=common.ROOT,
        env={**os.environ, **common.app_env(url), "STATIC_ROOT": root},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _flush(redis_url: str) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(redis_url).flushdb()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Guichet soaked in mixed traffic.")
    parser.add_argument("--seconds", type=float, default=600, help="Traffic duration.")
    parser.add_argument("--rate", type=float, default=40.0, help="Requests started per second.")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--applicants", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=20, help="Of them, alert subscribers.")
    parser.add_argument(
        "--waitlisters", type=int, default=60, help="More applicants, on the waiting list."
    )
    parser.add_argument(
        "--offer-hold",
        type=float,
        default=20.0,
        help="Seconds an offer holds its seat in the soak (the beat ends it then).",
    )
    parser.add_argument(
        "--beat-every", type=float, default=3.0, help="Seconds between the beat's tasks."
    )
    parser.add_argument("--seed", type=int, default=1, help="The traffic's random seed.")
    parser.add_argument(
        "--warm-up",
        type=float,
        default=None,
        help="Seconds of traffic before memory is compared (default: 20%% of it, 10-60 s).",
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="Celery prefork processes (default: the cores, as `celery worker` does).",
    )
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--sample-every", type=float, default=2.0, help="RSS sampling period.")
    parser.add_argument("--database", default="guichet_soak")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--keep-db", action="store_true", help="Do not drop the database.")
    args = parser.parse_args(argv)
    warm_up = args.warm_up if args.warm_up is not None else min(60.0, max(10.0, args.seconds / 5))
    span = min(30.0, max(6.0, args.seconds / 10))
    if args.seconds < warm_up + 2 * span:
        parser.error(f"--seconds must be at least {warm_up + 2 * span:.0f} (warm-up + two windows)")
    # One key for every process (the servers, the worker, this one), and the
    # soak's own Redis database for the broker, the cache and the purge.
    os.environ.setdefault("BENCH_SECRET_KEY", secrets.token_urlsafe(64))
    os.environ["BENCH_BROKER_URL"] = args.redis_url
    common.header(
        f"soak: {args.seconds:.0f} s of mixed traffic at {args.rate:.0f} req/s "
        f"(concurrency {args.concurrency}), {args.applicants} applicants, gunicorn "
        f"{common.WORKERS} sync workers, a Celery worker of {args.worker_processes} processes"
    )
    problems: list[str] = []
    began = time.monotonic()
    _flush(args.redis_url)
    twilio, smtp = FakeTwilio().start(), SmtpInbox().start()
    static = tempfile.TemporaryDirectory(prefix="guichet-soak-static-")
    try:
        with common.bench_database(args.database, keep=args.keep_db) as url:
            from tests.helpers.celery_worker import Worker

            _collectstatic(url, static.name)
            common.django_setup(url)
            common.demo_seed(applicants=args.applicants + args.waitlisters)
            setup = _setup(args.applicants, args.subscribers, args.waitlisters)
            from django.db import connection
            from django.db.models import Max

            from notifications.models import Message

            first_id = Message.objects.aggregate(last=Max("pk"))["last"] or 0
            connection.close()
            extra = {**_delivery_env(twilio, smtp, args.redis_url), "STATIC_ROOT": static.name}
            server = common.Server("guichet", "config.wsgi:application", "config.settings")
            server.extra_env = extra
            worker = Worker(
                env={
                    **os.environ,
                    **common.app_env(url),
                    "DJANGO_SETTINGS_MODULE": "config.settings",
                    **extra,
                },
                concurrency=args.worker_processes,
            )
            with common.servers(url, server):
                worker.start()
                try:
                    print(
                        f"   setup: {time.monotonic() - began:.1f} s (database, {args.applicants} "
                        "applicants, static files, servers, worker)"
                    )
                    roots = {"gunicorn": server.process.pid, "celery": worker.process.pid}
                    sampler = memory.Sampler(roots, interval=args.sample_every).start()
                    backlog = Backlog(first_id).start()
                    beat = Beat(hold=args.offer_hold, interval=args.beat_every).start()
                    snapshots = Snapshots(interval=min(10.0, args.seconds / 6)).start()
                    try:
                        traffic = _traffic(server.base, setup, args)
                    finally:
                        sampler.stop()
                        backlog.stop()
                        beat.stop()
                        snapshots.stop()
                    beat.settle()
                    print(f"   outbox: {backlog.report(sampler.ended)}")
                    print(
                        f"   beat: {beat.ticks} ticks every {args.beat_every:.0f} s, "
                        f"{beat.lapsed} offers unanswered after {args.offer_hold:.0f} s ended"
                    )
                    problems += [f"the beat could not publish: {e}" for e in beat.errors[:3]]
                    drained = drain(first_id, twilio, smtp, args.drain_timeout)
                    print(f"   the worker drained the outbox {drained:.1f} s after the traffic")
                    _report_traffic(traffic)
                    problems += check_http(traffic)
                    problems += check_capacity(traffic)
                    problems += snapshots.report()
                    problems += check_waitlist(traffic, waitlisters=args.waitlisters)
                    problems += check_messages(first_id, traffic, twilio, smtp)
                    problems += check_memory(sampler, warm_up=warm_up, end=sampler.ended, span=span)
                finally:
                    worker_log = worker.output()
                    worker.stop()
            tracebacks = worker_log.count("Traceback")
            if tracebacks:
                problems.append(f"the Celery worker logged {tracebacks} tracebacks")
                print(worker_log[worker_log.find("Traceback") :][:2000])
            gunicorn_log = server.log.read_text(errors="replace") if server.log else ""
            if "Traceback" in gunicorn_log or "WORKER TIMEOUT" in gunicorn_log:
                problems.append("gunicorn logged errors: " + gunicorn_log[-1500:])
            # Traffic, beat and worker stopped: nothing else moves the list now.
            if args.waitlisters:
                problems += check_order_final()
            connection.close()
    finally:
        twilio.stop()
        smtp.stop()
        static.cleanup()
        _flush(args.redis_url)
    for problem in problems:
        print(f"   PROBLEM: {problem}")
    print(f"   total: {time.monotonic() - began:.0f} s")
    print("   soak: " + ("ok" if not problems else f"FAILED ({len(problems)} problems)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
