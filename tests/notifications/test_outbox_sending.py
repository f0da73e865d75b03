"""Sending what the outbox owes, once: SMS through Twilio, e-mail over SMTP, retries."""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from django.utils import timezone

from booking import services as booking
from notifications import gsm, services
from notifications import sms as sms_transport
from notifications.models import Message, MessageChannel, MessageStatus, SmsOptOut
from notifications.services import sending
from tests import factories


def test_sms_goes_through_the_twilio_sdk(booked, twilio):
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)

    outcome = services.message_send(message_id=sms.pk)

    assert outcome.status == "sent"
    sms.refresh_from_db()
    assert len(twilio.sent) == 1
    sent = twilio.sent[0]
    assert sms.provider_id == sent["sid"]
    assert sent["to"] == booked.applicant.phone
    assert sent["from"] == "+33700000000"
    assert sent["body"] == sms.text
    assert sent["status_callback"] == ("https://guichet.example.org/notifications/twilio/status/")
    assert sms.status == MessageStatus.SENT and sms.attempts == 1


def test_messaging_service_sid_is_used_when_set(booked, twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)

    services.message_send(message_id=sms.pk)

    assert twilio.sent[0]["messaging_service_sid"] == "MG" + "1" * 32
    assert twilio.sent[0]["from"] is None


def test_a_claimed_message_is_not_sent_twice(booked, twilio):
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)

    assert services.message_send(message_id=sms.pk).status == "sent"
    assert services.message_send(message_id=sms.pk).status == "skipped"

    assert twilio.posts() == 1


def test_twilio_500_then_201_is_one_sms_after_two_attempts(booked, twilio):
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)
    twilio.fail_next(500, code=20500, message="Internal Server Error")

    first = services.message_send(message_id=sms.pk)
    sms.refresh_from_db()
    assert first.status == "retry"
    assert sms.status == MessageStatus.PENDING
    assert "500" in sms.last_error
    assert sms.next_attempt_at > timezone.now() + timedelta(seconds=20)
    # Not due yet: nothing happens.
    assert services.message_send(message_id=sms.pk).status == "skipped"

    second = services.message_send(message_id=sms.pk, now=sms.next_attempt_at)

    sms.refresh_from_db()
    assert second.status == "sent"
    assert sms.status == MessageStatus.SENT
    assert sms.attempts == 2
    assert len(twilio.sent) == 1
    assert twilio.posts() == 2


def test_twilio_429_is_retried(booked, twilio):
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)
    twilio.fail_next(429, code=20429, message="Too Many Requests")

    assert services.message_send(message_id=sms.pk).status == "retry"


@pytest.mark.parametrize("code", [21211, 21610])
def test_permanent_twilio_errors_fail_at_once(booked, twilio, code):
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)
    twilio.fail_next(400, code=code, message="The 'To' number is not a valid phone number.")

    outcome = services.message_send(message_id=sms.pk)

    sms.refresh_from_db()
    assert outcome.status == "failed"
    assert sms.status == MessageStatus.FAILED
    assert str(code) in sms.last_error
    assert sms.attempts == 1
    assert (
        services.message_send(message_id=sms.pk, now=timezone.now() + timedelta(days=1)).status
        == "skipped"
    )
    services.messages_sweep(now=timezone.now() + timedelta(days=1))
    sms.refresh_from_db()
    assert sms.status == MessageStatus.FAILED
    assert twilio.posts() == 1


def test_retries_stop_at_the_cap(booked, twilio, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)
    now = timezone.now()
    for _attempt in range(3):
        twilio.fail_next(503, code=None, message="Service Unavailable")
        now += timedelta(hours=2)
        services.message_send(message_id=sms.pk, now=now)

    sms.refresh_from_db()
    assert sms.status == MessageStatus.FAILED
    assert sms.attempts == 3


def test_backoff_doubles_up_to_a_cap(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 3600
    waits = [sending._backoff(n).total_seconds() for n in range(1, 10)]
    assert waits[:4] == [30, 60, 120, 240]
    assert max(waits) == 3600


def test_network_error_is_transient(booked, twilio, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    sms_transport._local.__dict__.clear()
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)

    assert services.message_send(message_id=sms.pk).status == "retry"


def test_email_over_smtp_is_multipart_with_the_ics(booked, smtp):
    row = Message.objects.get(appointment=booked, channel=MessageChannel.EMAIL)

    assert services.message_send(message_id=row.pk).status == "sent"

    assert len(smtp.messages) == 1
    parsed = email.message_from_bytes(smtp.messages[0]["data"])
    assert smtp.messages[0]["to"] == [booked.applicant.email]
    assert booked.reference in str(
        email.header.make_header(email.header.decode_header(parsed["Subject"]))
    )
    types = [part.get_content_type() for part in parsed.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    ics = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert f"UID:{booked.reference}@guichet" in ics.get_payload(decode=True).decode()


def test_smtp_5xx_fails_at_once_and_4xx_is_retried(booked, smtp):
    row = Message.objects.get(appointment=booked, channel=MessageChannel.EMAIL)
    smtp.reject_with = "550 No such user"
    assert services.message_send(message_id=row.pk).status == "failed"

    again = factories.ApplicantFactory()
    appointment = booking.appointment_book(
        actor=again.user, applicant=again, slot_id=booked.slot_id
    )
    row = Message.objects.get(appointment=appointment, channel=MessageChannel.EMAIL)
    smtp.reject_with = "451 Try again later"
    assert services.message_send(message_id=row.pk).status == "retry"


def test_essential_sms_still_goes_to_an_opted_out_number(booked, twilio):
    SmsOptOut.objects.create(phone=booked.applicant.phone)
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)

    assert services.message_send(message_id=sms.pk).status == "sent"


def test_an_arabic_sms_reaches_twilio_whole_and_within_its_ucs2_budget(
    applicant, slot, twilio, settings
):
    applicant.preferred_language = "ar"
    applicant.save(update_fields=["preferred_language"])
    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )
    sms = Message.objects.get(appointment=appointment, channel=MessageChannel.SMS)

    assert services.message_send(message_id=sms.pk).status == "sent"

    sms.refresh_from_db()
    body = twilio.sent[0]["body"]
    assert body == sms.text  # through the SDK's form post and back, character for character
    assert any("\u0600" <= char <= "\u06ff" for char in body)
    assert appointment.reference in body
    assert gsm.encoding(body) == "UCS-2"
    assert gsm.segments(body) <= settings.SMS_MAX_SEGMENTS


def _owed_sms(text: str) -> Message:
    """A pending SMS rendered when it was owed, as alerts and reminders are."""
    return Message.objects.create(
        channel=MessageChannel.SMS,
        template_key="new_slots",
        language="ar",
        destination="+33612345678",
        text=text,
        idempotency_key=f"test:{text[:20]}:{timezone.now().timestamp()}",
    )


def test_a_hand_written_arabic_sms_goes_through_unchanged(db, twilio):
    # Real Arabic, Arabic-Indic digits and a right-to-left mark, not transliterated.
    text = (
        "غيشيه: مواعيد جديدة لتجديد بطاقة الإقامة في محافظة سين سان دوني "
        "\u200f١٤/١٢. احجز: https://guichet.example.org/book/renouvellement/"  # noqa: RUF001
    )
    message = _owed_sms(text)

    assert services.message_send(message_id=message.pk).status == "sent"

    assert twilio.sent[0]["body"] == text
    assert gsm.segments(text) == 2  # 126 UTF-16 code units: 67 + 59


def test_a_text_owed_longer_than_a_lowered_budget_is_cut_at_send(db, twilio, settings, caplog):
    link = "https://guichet.example.org/book/renouvellement/"
    message = _owed_sms("موعد " * 50 + "احجز: " + link)  # rendered under a larger budget
    settings.SMS_MAX_SEGMENTS = 2

    assert services.message_send(message_id=message.pk).status == "sent"

    body = twilio.sent[0]["body"]
    assert gsm.segments(body) == 2
    assert body.endswith(link)
    assert "rendered longer than SMS_MAX_SEGMENTS=2" in caplog.text
