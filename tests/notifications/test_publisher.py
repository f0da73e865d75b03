"""The background publisher: the message ids of committed bookings go to Redis
in batches, from a thread of the web process, off the request's path.

On the real broker (this pytest worker's Redis database, read back with
``worker.queued_tasks``) and, where delivery is the point, a real Celery
worker with the fake Twilio and an SMTP server. Each test books in committed
transactions (``transaction=True``), so that the on-commit hand-over runs.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from booking import services as booking
from notifications import services
from notifications.models import Message, MessageStatus
from notifications.outbox import publisher
from tests import factories
from tests.helpers import celery_worker as w

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEND = "notifications.messages_send"


def _book(count: int) -> list[int]:
    """Book ``count`` appointments, each by its own applicant (SMS and e-mail);
    returns their message ids."""
    ids = []
    for _n in range(count):
        applicant = factories.ApplicantFactory()
        appointment = booking.appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=factories.SlotFactory().pk
        )
        ids += Message.objects.filter(appointment=appointment).values_list("pk", flat=True)
    return ids


def _published(tasks: list[tuple[str, list]]) -> list[int]:
    return [i for name, args in tasks if name == SEND for i in args[0]]


def _statuses(ids: list[int]) -> set[str]:
    close_old_connections()
    return set(Message.objects.filter(pk__in=ids).values_list("status", flat=True))


@pytest.fixture
def silent_broker():
    """A 'Redis' that accepts connections and never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    yield f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    silent.close()


def test_bookings_within_the_linger_are_one_publish_and_each_message_is_sent_once(
    broker, celery_worker, settings, fake_twilio, smtp_server
):
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 5000  # ended early by the flush below

    ids = _book(6)
    assert publisher.flush()

    tasks = w.queued_tasks()
    assert len(tasks) == 1
    assert sorted(_published(tasks)) == sorted(ids)
    assert _statuses(ids) == {MessageStatus.PENDING}

    celery_worker()
    w.wait_for(lambda: _statuses(ids) == {MessageStatus.SENT})
    time.sleep(1)  # room for a duplicate to show up
    assert len(fake_twilio.sent) == 6
    assert {sms["sid"] for sms in fake_twilio.sent} == set(
        Message.objects.filter(pk__in=ids, channel="sms").values_list("provider_id", flat=True)
    )
    assert len(smtp_server.messages) == 6
    # Each to the account's confirmed address.
    assert sorted(m["to"][0] for m in smtp_server.messages) == sorted(
        Message.objects.filter(pk__in=ids, channel="email").values_list(
            "appointment__applicant__user__email", flat=True
        )
    )


def test_a_full_batch_is_published_without_waiting_for_the_linger(broker, settings):
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 10_000
    settings.NOTIFICATIONS_TASK_BATCH = 3

    started = time.monotonic()
    ids = _book(4)  # 8 ids, 2 per booking
    w.wait_for(lambda: len(_published(w.queued_tasks())) >= 6, timeout=5)
    assert time.monotonic() - started < 8
    assert publisher.flush()

    tasks = w.queued_tasks()
    assert all(len(args[0]) <= 3 for _name, args in tasks)
    assert sorted(_published(tasks)) == sorted(ids)


def test_the_booking_does_not_wait_for_the_broker(broker, settings):
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 1000

    ids = _book(1)

    assert w.queued_tasks() == []  # not yet: the publisher lingers
    w.wait_for(lambda: w.queued_tasks(), timeout=5)
    assert sorted(_published(w.queued_tasks())) == sorted(ids)


def test_with_a_linger_of_zero_the_request_publishes(broker, settings):
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 0

    ids = _book(1)

    tasks = w.queued_tasks()
    assert len(tasks) == 1
    assert sorted(_published(tasks)) == sorted(ids)


def test_eager_celery_sends_before_the_booking_returns(mailoutbox):
    from config.celery import app

    assert app.conf.task_always_eager  # the test settings

    ids = _book(1)

    assert _statuses(ids) == {MessageStatus.SENT}
    assert len(mailoutbox) == 1


def test_a_silent_broker_neither_delays_bookings_nor_loses_messages(
    broker, silent_broker, settings, caplog
):
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 50
    caplog.set_level(logging.WARNING, logger="notifications")

    with w.app_broker(silent_broker):
        ids, slowest = [], 0.0
        for _ in range(3):
            started = time.monotonic()
            ids += _book(1)
            slowest = max(slowest, time.monotonic() - started)
        assert publisher.flush(timeout=30)  # every publish tried, and given up

    # Publishing in the request waited for the broker's 2 s timeout.
    assert slowest < 1.5
    assert _statuses(ids) == {MessageStatus.PENDING}
    assert "Could not hand" in caplog.text

    # The broker answers again; a few minutes later the beat's sweep runs.
    assert services.messages_sweep(now=timezone.now() + timedelta(minutes=5)) == 6
    assert sorted(_published(w.queued_tasks())) == sorted(ids)


def test_a_full_queue_leaves_messages_pending_for_the_sweep(
    broker, silent_broker, settings, caplog, monkeypatch
):
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 50
    monkeypatch.setattr(publisher, "QUEUE_SIZE", 4)
    monkeypatch.setattr(publisher, "_publisher", None)  # this test's own, small
    caplog.set_level(logging.WARNING, logger="notifications")

    with w.app_broker(silent_broker):
        first = _book(1)
        time.sleep(0.5)  # the thread took those two and waits on the broker
        started = time.monotonic()
        later = _book(3)  # 6 ids, room for 4
        elapsed = time.monotonic() - started
        assert publisher.flush(timeout=30)

    assert elapsed < 2
    assert "queue is full: 2 message(s) left pending" in caplog.text
    ids = first + later
    assert _statuses(ids) == {MessageStatus.PENDING}
    assert services.messages_sweep(now=timezone.now() + timedelta(minutes=5)) == 8
    assert sorted(_published(w.queued_tasks())) == sorted(ids)


def _run(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``publisher_process`` on this test's broker with a long linger."""
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=w._database_url(),
        REDIS_URL="",
        CELERY_BROKER_URL=w.broker_url(),
        CELERY_TASK_ALWAYS_EAGER="false",
        NOTIFICATIONS_PUBLISH_LINGER_MS="10000",
    )
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "tests.helpers.publisher_process", *args],
        cwd=w.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ended = time.monotonic()
    exiting = next(
        (float(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("exiting")),
        ended,
    )
    return done, ended - exiting


def test_what_is_queued_is_published_when_the_process_exits(broker):
    done, exit_took = _run("exit", "11,12")

    assert done.returncode == 0, done.stderr
    assert w.queued_tasks() == [(SEND, [[11, 12]])]
    assert exit_took < 5  # the flush does not sit out the 10 s linger


def test_a_forked_process_gets_a_publisher_of_its_own(broker):
    done, _exit_took = _run("fork", "21,22", "31,32")

    assert done.returncode == 0, done.stderr
    # The child published its ids; the parent's, queued before the fork, once.
    assert w.queued_tasks() == [(SEND, [[31, 32]]), (SEND, [[21, 22]])]


def test_a_linger_near_the_sweeps_grace_is_refused_at_start_up(settings):
    from notifications.checks import publish_linger_within_sweep_grace

    settings.NOTIFICATIONS_PENDING_GRACE = 120
    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 50
    assert publish_linger_within_sweep_grace() == []

    settings.NOTIFICATIONS_PUBLISH_LINGER_MS = 60_000
    assert [error.id for error in publish_linger_within_sweep_grace()] == ["notifications.E001"]
