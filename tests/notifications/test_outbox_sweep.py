"""The outbox's sweep: what the broker never got, stuck sends, backlogs in batches."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from booking import services as booking
from notifications import services
from notifications import sms as sms_transport
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.services import appointments
from tests import factories


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
