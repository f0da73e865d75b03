"""End to end with a real Celery worker on Redis, the real twilio SDK against a
local fake Twilio, and Django's SMTP backend against a local aiosmtpd server.

Fault injection: the worker killed mid-send, Redis down when the booking
commits. Each test books in its own committed transaction (``transaction=True``)
so that the worker, another process, sees the rows.
"""

from __future__ import annotations

import email
import socket
import time
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from booking import services as booking
from booking.models import Appointment
from notifications import services
from notifications.models import Message, MessageStatus
from tests import factories
from tests.helpers import celery_worker as w

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _status(message_id: int) -> str:
    close_old_connections()
    return Message.objects.get(pk=message_id).status


def test_booking_sends_an_sms_and_an_email_through_the_worker(
    celery_worker, fake_twilio, smtp_server
):
    celery_worker()
    applicant = factories.ApplicantFactory(user=factories.UserFactory(email="amina@example.test"))
    slot = factories.SlotFactory()

    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )

    ids = list(Message.objects.filter(appointment=appointment).values_list("pk", flat=True))
    assert len(ids) == 2
    w.wait_for(lambda: all(_status(pk) == MessageStatus.SENT for pk in ids))
    appointment = Appointment.objects.select_related("slot__site").get(pk=appointment.pk)
    local = timezone.localtime(appointment.slot.starts_at)

    # The SMS, as Twilio's API received it from the SDK.
    assert len(fake_twilio.sent) == 1
    sms = fake_twilio.sent[0]
    assert sms["to"] == applicant.phone
    assert sms["from"] == "+33700000000"
    assert appointment.reference in sms["body"]
    assert appointment.slot.site.name.replace("é", "é") in sms["body"]
    assert local.strftime("%H:%M") in sms["body"]
    assert sms["status_callback"] == "https://guichet.example.org/notifications/twilio/status/"
    row = Message.objects.get(appointment=appointment, channel="sms")
    assert row.provider_id == sms["sid"]

    # The e-mail, as the SMTP server received it.
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["to"] == ["amina@example.test"]
    parsed = email.message_from_bytes(received["data"])
    text = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert appointment.reference in body
    assert appointment.slot.site.full_address in body
    assert local.strftime("%H:%M") in body
    ics = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert f"UID:{appointment.reference}@guichet" in ics.get_payload(decode=True).decode()
    assert any(p.get_content_type() == "text/html" for p in parsed.walk())


def test_worker_killed_mid_send_delivers_exactly_once_after_restart(celery_worker, fake_twilio):
    """The fake Twilio takes the SMS, then holds its answer; the worker is killed
    while it waits. The row stays 'sending': whether Twilio got it is unknown to
    us. After a restart the sweep marks it in doubt, the new worker asks Twilio,
    finds the SMS already accepted and records it instead of sending it again."""
    worker = celery_worker()
    fake_twilio.delay = 30
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()

    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )

    message = Message.objects.get(appointment=appointment, channel="sms")
    w.wait_for(lambda: len(fake_twilio.sent) == 1)
    assert _status(message.pk) == MessageStatus.SENDING
    worker.kill()
    fake_twilio.delay = 0
    assert _status(message.pk) == MessageStatus.SENDING

    celery_worker()
    services.messages_sweep(now=timezone.now() + timedelta(minutes=10))

    w.wait_for(lambda: _status(message.pk) == MessageStatus.SENT)
    message.refresh_from_db()
    assert fake_twilio.posts() == 1
    assert len(fake_twilio.sent) == 1
    assert message.provider_id == fake_twilio.sent[0]["sid"]
    assert message.attempts == 2


def test_redis_down_at_commit_the_booking_stands_and_the_sweep_sends(celery_worker, fake_twilio):
    celery_worker()
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()

    with w.app_broker("redis://127.0.0.1:1/0"):  # nothing listens there
        started = timezone.now()
        appointment = booking.appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=slot.pk
        )
        elapsed = timezone.now() - started

    assert elapsed < timedelta(seconds=5)
    assert Appointment.objects.filter(pk=appointment.pk).exists()
    message = Message.objects.get(appointment=appointment, channel="sms")
    assert message.status == MessageStatus.PENDING
    assert fake_twilio.sent == []

    # Redis is back; a minute later the beat's sweep runs (the SMS and the e-mail).
    assert services.messages_sweep(now=timezone.now() + timedelta(minutes=5)) == 2

    w.wait_for(lambda: _status(message.pk) == MessageStatus.SENT)
    assert len(fake_twilio.sent) == 1
    assert appointment.reference in fake_twilio.sent[0]["body"]


def test_a_redis_that_does_not_answer_delays_a_booking_by_two_seconds_at_most(
    django_capture_on_commit_callbacks,
):
    """A broker that accepts the connection and then says nothing (overloaded,
    half-dead) must not hang the request: the publish gives up, the row waits."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    try:
        with w.app_broker(f"redis://127.0.0.1:{port}/0"):
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                appointment = booking.appointment_book(
                    actor=applicant.user, applicant=applicant, slot_id=slot.pk
                )
            elapsed = time.monotonic() - started
    finally:
        silent.close()

    assert elapsed < 4
    assert (
        Message.objects.get(appointment=appointment, channel="sms").status == MessageStatus.PENDING
    )
