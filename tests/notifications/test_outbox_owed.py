"""The outbox: messages owed in the event's transaction, claimed, sent once."""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import services as booking
from booking.errors import SlotFull
from notifications import services
from notifications import sms as sms_transport
from notifications.models import Message, MessageChannel, MessageStatus, SmsOptOut
from notifications.selectors import messages_for
from notifications.services import appointments, sending
from tests import factories


@pytest.fixture
def booked(applicant, slot):
    return booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def test_booking_owes_one_sms_and_one_email_in_its_transaction(booked, applicant, mailoutbox):
    messages = {m.channel: m for m in Message.objects.filter(appointment=booked)}

    assert set(messages) == {MessageChannel.SMS, MessageChannel.EMAIL}
    assert {m.status for m in messages.values()} == {MessageStatus.PENDING}
    assert messages[MessageChannel.SMS].destination == applicant.phone
    assert messages[MessageChannel.EMAIL].destination == applicant.email

    for message in messages.values():
        services.message_send(message_id=message.pk)

    sms = Message.objects.get(pk=messages[MessageChannel.SMS].pk)
    assert booked.reference in sms.text
    assert "/cancel/" in sms.text
    mail_row = Message.objects.get(pk=messages[MessageChannel.EMAIL].pk)
    assert booked.reference in mail_row.subject
    assert booked.slot.site.name in mail_row.text
    assert "Justificatif de domicile" in mail_row.html
    assert mailoutbox[0].subject == mail_row.subject


def test_a_confirmation_sent_after_a_reschedule_speaks_of_the_booked_time(
    booked, applicant, site, procedure
):
    first_time = timezone.localtime(booked.slot.starts_at).strftime("%H:%M")
    later = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=booked.slot.starts_at + timedelta(hours=5)
    )
    booking.appointment_reschedule(actor=applicant.user, appointment=booked, new_slot_id=later.pk)
    confirmation = Message.objects.get(
        appointment=booked, channel="sms", template_key="appointment_booked"
    )
    moved = Message.objects.get(
        appointment=booked, channel="sms", template_key="appointment_rescheduled"
    )

    services.message_send(message_id=confirmation.pk)
    services.message_send(message_id=moved.pk)

    confirmation.refresh_from_db()
    moved.refresh_from_db()
    assert first_time in confirmation.text
    assert timezone.localtime(later.starts_at).strftime("%H:%M") in moved.text


def test_a_message_whose_appointment_is_gone_fails(booked):
    sms = Message.objects.get(appointment=booked, channel="sms")
    Message.objects.filter(pk=sms.pk).update(appointment=None)

    assert services.message_send(message_id=sms.pk).status == "failed"


def test_booking_writes_its_messages_in_one_insert(applicant, slot):
    with CaptureQueriesContext(connection) as queries:
        booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    inserts = [q["sql"] for q in queries if 'INSERT INTO "notifications_message"' in q["sql"]]
    assert len(inserts) == 1


def test_refused_booking_owes_nothing(applicant, site, procedure):
    full = factories.SlotFactory(site=site, procedure=procedure, capacity=1, booked=1)

    with pytest.raises(SlotFull):
        booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=full.pk)

    assert not Message.objects.exists()


def test_messages_are_handed_to_celery_only_after_commit(
    applicant, slot, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    assert len(callbacks) == 1
    assert mailoutbox == []

    callbacks[0]()  # the commit: eager Celery sends at once

    assert len(mailoutbox) == 1
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_no_phone_means_no_sms(slot, agent):
    applicant = factories.ApplicantFactory(user=None, phone="", email="walkin@example.test")
    appointment = booking.appointment_book(actor=agent, applicant=applicant, slot_id=slot.pk)
    assert list(
        Message.objects.filter(appointment=appointment).values_list("channel", flat=True)
    ) == [MessageChannel.EMAIL]


def test_cancel_and_reschedule_owe_their_messages(booked, applicant, site, procedure):
    other = factories.SlotFactory(site=site, procedure=procedure)
    booking.appointment_reschedule(actor=applicant.user, appointment=booked, new_slot_id=other.pk)
    another = factories.SlotFactory(site=site, procedure=procedure)
    booking.appointment_reschedule(actor=applicant.user, appointment=booked, new_slot_id=another.pk)
    booking.appointment_cancel(actor=applicant.user, appointment=booked)

    keys = list(messages_for(appointment=booked).values_list("template_key", flat=True))
    assert sorted(keys) == sorted(
        ["appointment_booked"] * 2 + ["appointment_rescheduled"] * 4 + ["appointment_cancelled"] * 2
    )


def test_english_speaker_gets_english(slot):
    english = factories.ApplicantFactory(preferred_language="en")
    french = factories.ApplicantFactory()
    texts = {}
    for applicant in (english, french):
        appointment = booking.appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=slot.pk
        )
        sms = Message.objects.get(appointment=appointment, channel=MessageChannel.SMS)
        services.message_send(message_id=sms.pk)
        sms.refresh_from_db()
        texts[sms.language] = sms.text

    assert "confirmed" in texts["en"]
    assert "confirmé" in texts["fr"]
    assert "Annuler" in texts["fr"]


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


def test_sweep_requeues_what_the_broker_never_got(booked, mailoutbox):
    later = timezone.now() + timedelta(minutes=5)

    assert services.messages_sweep(now=later) == 2

    assert Message.objects.filter(status=MessageStatus.SENT).count() == 2
    assert len(mailoutbox) == 1


def test_sweep_leaves_fresh_and_held_messages_alone(booked):
    Message.objects.filter(channel="sms").update(
        next_attempt_at=timezone.now() + timedelta(hours=3)
    )

    assert services.messages_sweep(now=timezone.now()) == 0
    assert services.messages_sweep(now=timezone.now() + timedelta(minutes=5)) == 1


def test_stuck_sms_is_asked_about_before_being_sent_again(booked, twilio):
    """A worker died after Twilio got the SMS but before it recorded the sid."""
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)
    # What the dead worker did: render and store the text, hand it to Twilio.
    appointments.appointment_message_render(message=sms)
    Message.objects.filter(pk=sms.pk).update(text=sms.text)
    sms_transport.send(to=sms.destination, body=sms.text)
    Message.objects.filter(pk=sms.pk).update(
        status=MessageStatus.SENDING, attempts=1, claimed_at=timezone.now()
    )
    Message.objects.filter(channel="email").delete()

    assert services.messages_sweep(now=timezone.now() + timedelta(minutes=10)) == 1

    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT
    assert sms.provider_id == twilio.sent[0]["sid"]
    assert sms.attempts == 2
    assert twilio.posts() == 1


def test_stuck_sms_that_never_left_is_sent(booked, twilio):
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)
    Message.objects.filter(pk=sms.pk).update(
        status=MessageStatus.SENDING, attempts=1, claimed_at=timezone.now()
    )
    Message.objects.filter(channel="email").delete()

    services.messages_sweep(now=timezone.now() + timedelta(minutes=10))

    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT
    assert twilio.posts() == 1


def test_a_live_send_is_not_swept(booked):
    Message.objects.update(status=MessageStatus.SENDING, claimed_at=timezone.now())

    assert services.messages_sweep(now=timezone.now() + timedelta(minutes=1)) == 0


def test_essential_sms_still_goes_to_an_opted_out_number(booked, twilio):
    SmsOptOut.objects.create(phone=booked.applicant.phone)
    sms = Message.objects.get(appointment=booked, channel=MessageChannel.SMS)

    assert services.message_send(message_id=sms.pk).status == "sent"


def test_messages_for_an_applicant_and_an_appointment(booked, applicant, other_applicant, slot):
    booking.appointment_book(actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk)
    assert messages_for(appointment=booked).count() == 2
    assert messages_for(applicant=applicant).count() == 2
    assert set(messages_for(applicant=other_applicant).values_list("applicant", flat=True)) == {
        other_applicant.pk
    }
    with pytest.raises(ValueError):
        messages_for()


def test_many_messages_go_in_batches_and_all_are_sent(site, procedure, mailoutbox, settings):
    settings.NOTIFICATIONS_TASK_BATCH = 2
    for _n in range(3):
        applicant = factories.ApplicantFactory()
        slot = factories.SlotFactory(site=site, procedure=procedure)
        booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert services.messages_sweep(now=timezone.now() + timedelta(minutes=5)) == 6

    assert Message.objects.filter(status=MessageStatus.SENT).count() == 6
    assert len(mailoutbox) == 3


def test_sweep_works_through_a_backlog_larger_than_its_batch(site, procedure, mailoutbox):
    for _n in range(3):
        applicant = factories.ApplicantFactory()
        slot = factories.SlotFactory(site=site, procedure=procedure)
        booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Message.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))

    assert services.messages_sweep(limit=2) == 6

    assert Message.objects.filter(status=MessageStatus.SENT).count() == 6


def test_a_requeued_message_is_left_to_its_task_for_a_while(booked):
    Message.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        # The broker (memory://) takes them; nobody consumes: they stay pending.
        assert services.messages_sweep() == 2
        assert services.messages_sweep(now=timezone.now() + timedelta(seconds=30)) == 0
        assert services.messages_sweep(now=timezone.now() + timedelta(minutes=3)) == 2
    finally:
        app.conf.task_always_eager = True


def test_a_booking_is_one_publish_to_the_broker(applicant, slot, monkeypatch):
    from config.celery import app

    published = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args, **kwargs: published.append((name, args))
    )
    # Celery's Settings is a mapping proxy: monkeypatch cannot always restore an
    # attribute on it (it may try to delete it), so set and restore it by hand.
    app.conf.task_always_eager = False
    try:
        appointment = booking.appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=slot.pk
        )
        enqueued = services.messages_enqueue(
            Message.objects.filter(appointment=appointment).values_list("pk", flat=True)
        )
    finally:
        app.conf.task_always_eager = True

    assert enqueued == 2
    assert len(published) == 1
    name, args = published[0]
    assert name == "notifications.messages_send"
    assert len(args[0]) == 2
