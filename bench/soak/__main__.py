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
alerts, so that cancellations also fan out alerts through the worker. The
waiting list does not exist yet: the traffic has a hook for it
(``bench/soak/traffic.py``, kind ``waitlist``).

Then it checks, and exits non-zero if any check fails:

- HTTP: no 5xx, no connection error or timeout, and nothing but the expected
  statuses (a 429 means the run was rate-limited: see ``GENEROUS_LIMITS``);
- capacity, on every slot of the database: 0 <= booked <= capacity and
  booked == its active appointments; what the applicants were told they hold
  is what the database holds;
- messages: once the worker has drained the queue (bounded wait), every owed
  message (each booking, cancellation and reschedule owes an SMS and an
  e-mail; every alert due) was sent, and exactly once: each SMS row's provider
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path

from bench import common
from bench.soak import memory
from bench.soak.delivery import FakeTwilio, SmtpInbox

PASSWORD = "bench-soak-password-93"
PROCEDURES = ("soak-a", "soak-b")
SITES = ("bobigny", "saint-denis")
# A process fails the soak if its RSS grows, after the warm-up, by more than
# this share of its warmed-up size or by more than this many MB.
GROWTH_MAX_RATIO = 0.10
GROWTH_MAX_MB = 20
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
    )
}
OWED_BY_EVENT = {
    "booked": "appointment_booked",
    "cancelled": "appointment_cancelled",
    "rescheduled": "appointment_rescheduled",
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
    }


def _setup(applicants: int, subscribers: int) -> dict:
    """Tokens for the seeded applicants; two procedures with two-seat slots for
    a week at two sites; a few alert subscriptions."""
    from django.utils import timezone

    from accounts.models import Role, User
    from booking.models import Applicant, Procedure, RequiredDocument, Site, Slot
    from booking.services import OpeningRange, slots_publish
    from notifications.models import AlertChannels
    from notifications.services import alert_subscribe

    people = list(
        Applicant.objects.filter(user__email__regex=r"^applicant\d+@")
        .select_related("user")
        .order_by("pk")[:applicants]
    )
    if len(people) < applicants:
        raise SystemExit(f"demo_seed made {len(people)} applicants, not {applicants}")
    now = timezone.now()
    keys = common.api_tokens_create([p.user_id for p in people], label="soak")
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
    return {"tokens": [keys[p.user_id] for p in people], "slots": slots}


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


# --- Checks ----------------------------------------------------------------------------


class Backlog:
    """The outbox's backlog (owed messages not sent yet) every few seconds, in
    a thread: whether the worker keeps up with the traffic."""

    def __init__(self, first_id: int, interval: float = 5.0) -> None:
        self.first_id = first_id
        self.interval = interval
        self.samples: list[tuple[float, int, int]] = []  # (seconds, waiting, sent)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Backlog:
        self.began = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from django.db import connection
        from django.db.models import Count, Q

        from notifications.models import Message, MessageStatus

        waiting = Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
        try:
            while not self._stop.wait(self.interval):
                counts = Message.objects.filter(pk__gt=self.first_id).aggregate(
                    waiting=Count("pk", filter=waiting), sent=Count("pk", filter=~waiting)
                )
                now = time.monotonic() - self.began
                self.samples.append((now, counts["waiting"], counts["sent"]))
        finally:
            connection.close()

    def report(self, seconds: float) -> str:
        during = [sample for sample in self.samples if sample[0] <= seconds]
        if not during:
            return "no sample"
        peak = max(waiting for _t, waiting, _sent in during)
        _t, last, sent = during[-1]
        return (
            f"at most {peak} messages waiting, {last} at the end of the traffic; "
            f"the worker sent {sent / during[-1][0]:.1f} messages/s meanwhile"
        )


def _check_http(traffic: dict) -> list[str]:
    from bench.soak.traffic import EXPECTED

    problems = []
    statuses = Counter(sample[1] for sample in traffic["samples"])
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers 5xx")
    if statuses[0]:
        problems.append(f"{statuses[0]} connection errors or timeouts")
    odd = Counter(
        (kind, status) for kind, status, *_ in traffic["samples"] if status not in EXPECTED[kind]
    )
    if odd:
        problems.append(f"unexpected answers {dict(odd)}; e.g. {traffic['unexpected'][:3]}")
    return problems


def _check_capacity(traffic: dict) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE s.booked < 0 OR s.booked > s.capacity),
                   count(*) FILTER (WHERE s.booked <> coalesce(a.active, 0)),
                   coalesce(sum(s.booked), 0)
            FROM booking_slot s
            LEFT JOIN (
                SELECT slot_id, count(*) AS active FROM booking_appointment
                WHERE status IN ('booked', 'checked_in') GROUP BY slot_id
            ) a ON a.slot_id = s.id
            """
        )
        slots, out_of_bounds, mismatched, seats = cursor.fetchone()
        cursor.execute(
            "SELECT a.reference FROM booking_appointment a "
            "JOIN booking_procedure p ON p.id = a.procedure_id "
            "WHERE p.slug = ANY(%s) AND a.status IN ('booked', 'checked_in')",
            [list(PROCEDURES)],
        )
        active = {reference for (reference,) in cursor.fetchall()}
    print(
        f"   capacity: {slots} slots, {seats} seats taken; {out_of_bounds} outside "
        f"0..capacity, {mismatched} whose count differs from their active appointments"
    )
    problems = []
    if out_of_bounds or mismatched:
        problems.append(f"capacity invariant: {out_of_bounds} out of bounds, {mismatched} off")
    held = set(traffic["holds"])
    if held != active:
        problems.append(
            f"the applicants were told they hold {len(held)} appointments, the database "
            f"has {len(active)} ({len(held - active)} missing, {len(active - held)} extra)"
        )
    return problems


def _owed(first_id: int):
    from django.utils import timezone

    from notifications.models import Message

    return Message.objects.filter(pk__gt=first_id, next_attempt_at__lte=timezone.now())


def _drain(first_id: int, twilio: FakeTwilio, smtp: SmtpInbox, timeout: float) -> float:
    """Wait (at most ``timeout`` s) until no owed message is pending or being sent."""
    from django.db import connection

    from notifications.models import MessageStatus

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        waiting = (
            _owed(first_id)
            .filter(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
            .count()
        )
        connection.close()
        if not waiting:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # a send just recorded may still be answering the SMTP server
    return time.monotonic() - began


def _check_messages(first_id: int, traffic: dict, twilio: FakeTwilio, smtp: SmtpInbox) -> list[str]:
    from django.utils import timezone

    from notifications.models import Message, MessageChannel, MessageStatus

    problems = []
    rows = list(
        Message.objects.filter(pk__gt=first_id).values_list(
            "pk",
            "idempotency_key",
            "channel",
            "status",
            "template_key",
            "provider_id",
            "next_attempt_at",
            "last_error",
        )
    )
    now = timezone.now()
    later = [row for row in rows if row[6] > now]
    owed = [row for row in rows if row[6] <= now]
    by_template = Counter(row[4] for row in rows)
    for event, template in OWED_BY_EVENT.items():
        made = traffic["events"][event]
        if by_template[template] != 2 * made:  # every seeded applicant has a phone and an e-mail
            problems.append(
                f"{made} {event} answers owe {2 * made} '{template}' messages, "
                f"the outbox has {by_template[template]}"
            )
    sent_states = {MessageStatus.SENT, MessageStatus.DELIVERED}
    not_sent = [row for row in owed if row[3] not in sent_states]
    if not_sent:
        states = Counter(row[3] for row in not_sent)
        problems.append(
            f"{len(not_sent)} owed messages not sent ({dict(states)}), "
            f"e.g. {[(r[1], r[3], r[7][:120]) for r in not_sent[:3]]}"
        )
    # SMS: each sent row is exactly one request the fake Twilio took, and back.
    sids = Counter(message["sid"] for message in twilio.sent)
    sms_rows = {row[5]: row[1] for row in owed if row[2] == MessageChannel.SMS and row[5]}
    sms_dupes = [key for sid, key in sms_rows.items() if sids[sid] != 1]
    sms_extra = sum(n for sid, n in sids.items() if sid not in sms_rows)
    # E-mail: each sent row's Message-ID arrived exactly once, nothing else did.
    received = Counter(smtp.message_ids())
    email_rows = {
        row[0]: row[1] for row in owed if row[2] == MessageChannel.EMAIL and row[3] in sent_states
    }
    email_off = [key for pk, key in email_rows.items() if received[pk] != 1]
    email_extra = sum(n for pk, n in received.items() if pk not in email_rows)
    print(
        f"   messages: {len(rows)} owed by the soak ({len(later)} not due yet: quiet hours), "
        f"{len(owed) - len(not_sent)} of {len(owed)} due sent; "
        + ", ".join(f"{template} {n}" for template, n in sorted(by_template.items()))
    )
    print(
        f"   delivery: fake Twilio took {len(twilio.sent)} SMS for {len(sms_rows)} SMS rows, "
        f"SMTP took {sum(received.values())} e-mails for {len(email_rows)} e-mail rows"
    )
    if sms_dupes or sms_extra:
        problems.append(
            f"SMS not sent exactly once: {len(sms_dupes)} rows ({sms_dupes[:3]}), "
            f"{sms_extra} SMS nobody owed"
        )
    if email_off or email_extra:
        problems.append(
            f"e-mails not sent exactly once: {len(email_off)} rows ({email_off[:3]}), "
            f"{email_extra} e-mails nobody owed"
        )
    return problems


def _check_memory(sampler: memory.Sampler, *, warm_up: float, end: float, span: float) -> list[str]:
    problems = []
    print(
        f"   memory (RSS): warmed up = median over {warm_up:.0f}-{warm_up + span:.0f} s, "
        f"end = median over the last {span:.0f} s; bound: +{GROWTH_MAX_RATIO:.0%} "
        f"and +{GROWTH_MAX_MB} MB"
    )
    for series in sampler.series.values():
        grown = memory.growth(series, warm_up=warm_up, end=end, span=span)
        if grown is None:
            continue
        over = grown.ratio > GROWTH_MAX_RATIO or grown.delta > GROWTH_MAX_MB * memory.MB
        # The trend: the median at each quarter of the time after the warm-up.
        quarters = [
            series.window(t - span / 2, t + span / 2)
            for t in (warm_up + (end - warm_up) * q / 4 for q in (1, 2, 3))
        ]
        trend = " ".join(f"{statistics.median(q) / memory.MB:.1f}" for q in quarters if q)
        print(
            f"     {grown.label:<28} {grown.warm / memory.MB:6.1f} MB -> "
            f"{grown.end / memory.MB:6.1f} MB ({grown.delta / memory.MB:+5.1f} MB, "
            f"{grown.ratio:+6.1%}), peak {grown.peak / memory.MB:6.1f} MB; "
            f"quarters {trend}" + ("  OVER" if over else "")
        )
        if over:
            problems.append(
                f"{grown.label} grew {grown.delta / memory.MB:+.1f} MB ({grown.ratio:+.1%})"
            )
    problems += sampler.appeared + sampler.vanished(end)
    return problems


def _report_traffic(traffic: dict) -> None:
    samples = traffic["samples"]
    seconds = traffic["seconds"]
    print(
        f"   traffic: {len(samples)} requests in {seconds:.0f} s ({len(samples) / seconds:.1f} "
        f"req/s); events: {traffic['events']}"
    )
    kinds = sorted({s[0] for s in samples})
    for kind in kinds:
        mine = [s for s in samples if s[0] == kind]
        statuses = Counter(s[1] for s in mine)
        codes = Counter(s[4] for s in mine if s[4])
        latencies = [s[2] for s in mine]
        p50, p99 = (common.ms(common.percentile(latencies, p)) for p in (50, 99))
        print(
            f"     {kind:<13} {len(mine):>6}  p50 {p50:>7} ms  p99 {p99:>7} ms  "
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
            common.demo_seed(applicants=args.applicants)
            setup = _setup(args.applicants, args.subscribers)
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
                    try:
                        traffic = _traffic(server.base, setup, args)
                    finally:
                        sampler.stop()
                        backlog.stop()
                    print(f"   outbox: {backlog.report(sampler.ended)}")
                    drained = _drain(first_id, twilio, smtp, args.drain_timeout)
                    print(f"   the worker drained the outbox {drained:.1f} s after the traffic")
                    _report_traffic(traffic)
                    problems += _check_http(traffic)
                    problems += _check_capacity(traffic)
                    problems += _check_messages(first_id, traffic, twilio, smtp)
                    problems += _check_memory(
                        sampler, warm_up=warm_up, end=sampler.ended, span=span
                    )
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
