"""The outbox: messages owed in the event's transaction, handed to Celery after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import services as booking
from booking.errors import SlotFull
from notifications import services
from notifications.models import Message, MessageChannel, MessageStatus
from notifications.selectors import messages_for
from tests import factories


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


def test_messages_for_an_applicant_and_an_appointment(booked, applicant, other_applicant, slot):
    booking.appointment_book(actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk)
    assert messages_for(appointment=booked).count() == 2
    assert messages_for(applicant=applicant).count() == 2
    assert set(messages_for(applicant=other_applicant).values_list("applicant", flat=True)) == {
        other_applicant.pk
    }
    with pytest.raises(ValueError):
        messages_for()


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
