"""Benchmark of the new-slot alert fan-out and of one worker's SMS throughput.

1. ``alerts_fan_out`` for one publication to N subscribers (SMS and e-mail
   each): rows created and handed to Redis per second.
2. A real ``celery -A config worker`` (one process) sends S of those SMS
   through the twilio SDK to a local fake Twilio: SMS per second.

It uses its own database (``guichet_bench_fanout``, created, then dropped) and
Redis DB 12 (flushed).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import sys
import time
from datetime import datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "guichet_bench_fanout"
REDIS_DB = 12
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"

os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=f"{SERVER_URL}/{DB_NAME}",
    DEBUG="false",
    SECRET_KEY="bench-fanout-" + "x" * 50,
    ALLOWED_HOSTS="localhost",
    CELERY_BROKER_URL=BROKER,
    CELERY_TASK_ALWAYS_EAGER="false",
    REDIS_URL="",
    CONN_MAX_AGE="0",
    LOG_LEVEL="WARNING",
    PUBLIC_BASE_URL="https://rdv.example.gouv.fr",
    # DEBUG off refuses the console transports; the worker below is given the fake Twilio.
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    SMS_BACKEND="twilio",
)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def ids_in(raw: bytes) -> int:
    """How many message ids one queued task message carries (kombu's JSON envelope)."""
    args = json.loads(base64.b64decode(json.loads(raw)["body"]))[0]
    return len(args[0]) if isinstance(args[0], list) else 1


def recreate_database() -> None:
    drop_database()
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--sms", type=int, default=1_000, help="SMS the worker sends")
    args = parser.parse_args()

    print(f"Machine: {machine()}")
    recreate_database()
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.db import connection

    from booking.models import Procedure, Site
    from notifications import services
    from notifications.models import Message, MessageStatus
    from tests.helpers.alert_subscribers import subscribers
    from tests.helpers.celery_worker import Worker
    from tests.helpers.fake_twilio import FakeTwilio

    broker = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    broker.flushdb()
    site = Site.objects.create(
        slug="bobigny",
        name="Préfecture de Bobigny",
        address="1 esplanade Jean Moulin",
        postcode="93000",
        city="Bobigny",
    )
    procedure = Procedure.objects.create(slug="titre-sejour", name="Premier titre de séjour")
    subscribers(n=args.subscribers, procedure=procedure, site=site)

    # 1. Fan-out at noon: every message is due at once and goes to the broker.
    # The last noon in Paris: in the past (so every message is due), outside quiet hours.
    paris = ZoneInfo("Europe/Paris")
    today = datetime.now(paris).date()
    noon = datetime.combine(today, time_of_day(12), tzinfo=paris)
    if noon > datetime.now(paris):
        noon -= timedelta(days=1)
    started = time.perf_counter()
    created = services.alerts_fan_out(
        procedure_id=procedure.pk, site_id=site.pk, event_key="bench", now=noon
    )
    elapsed = time.perf_counter() - started
    tasks = broker.llen("celery")
    handed = sum(ids_in(raw) for raw in broker.lrange("celery", 0, -1))
    print(
        f"Fan-out: {created} messages for {args.subscribers} subscribers created and "
        f"{handed} handed to Redis (in {tasks} tasks) in {elapsed:.2f} s: "
        f"{created / elapsed:,.0f} messages/s"
    )
    assert handed == created, (handed, created)

    # 2. One worker sends SMS to the local fake Twilio.
    broker.flushdb()
    fake = FakeTwilio().start()
    sms_ids = list(
        Message.objects.filter(channel="sms")
        .order_by("pk")
        .values_list("pk", flat=True)[: args.sms]
    )
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items()}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=fake.account_sid,
        TWILIO_AUTH_TOKEN=fake.auth_token,
        TWILIO_FROM_NUMBER="+33700000000",
        TWILIO_API_BASE_URL=fake.url,
        CONN_MAX_AGE="60",  # the production default: a worker keeps its connection
    )
    worker = Worker(env=env).start()
    try:
        started = time.perf_counter()
        services.messages_enqueue(sms_ids)
        sent = 0
        while time.perf_counter() - started < 600:
            sent = Message.objects.filter(pk__in=sms_ids, status=MessageStatus.SENT).count()
            if sent == len(sms_ids):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
        fake.stop()
    print(
        f"Worker: {sent} SMS sent by one worker process (prefork, concurrency 1) to the "
        f"local fake Twilio in {elapsed:.2f} s: {sent / elapsed:,.0f} SMS/s "
        f"({fake.posts()} requests received)"
    )
    broker.flushdb()
    connection.close()
    drop_database()


if __name__ == "__main__":
    main()
