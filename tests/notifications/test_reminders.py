"""A reminder two days before, once per appointment and slot, with a cancel link."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from booking import services as booking
from booking.models import Appointment
from notifications import services
from notifications.models import Message
from tests import factories


def _booked_long_ago(slot):
    applicant = factories.ApplicantFactory()
    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    return appointment


def test_reminder_is_owed_once_two_days_before(site, procedure, settings):
    settings.NOTIFICATIONS_REMINDER_DAYS = 2
    slot = factories.SlotFactory(site=site, procedure=procedure)  # in three days
    appointment = _booked_long_ago(slot)
    now = timezone.now()

    assert services.reminders_create(now=now) == 0  # three days ahead: not yet
    day_before = slot.starts_at - timedelta(days=1)
    assert services.reminders_create(now=day_before) == 2
    assert services.reminders_create(now=day_before + timedelta(hours=1)) == 0

    reminders = Message.objects.filter(appointment=appointment, template_key="appointment_reminder")
    assert reminders.count() == 2
    sms = reminders.get(channel="sms")
    assert f"/appointments/{appointment.reference}/cancel/" in sms.text
    assert not sms.essential


def test_no_reminder_for_a_cancelled_appointment(site, procedure):
    slot = factories.SlotFactory(site=site, procedure=procedure)
    appointment = _booked_long_ago(slot)
    booking.appointment_cancel(actor=appointment.applicant.user, appointment=appointment)

    assert services.reminders_create(now=slot.starts_at - timedelta(days=1)) == 0


def test_no_reminder_when_booked_inside_the_window(site, procedure):
    """Booked a day and a half ahead: the confirmation was the reminder."""
    starts = timezone.now() + timedelta(hours=36)
    slot = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=starts, ends_at=starts + timedelta(minutes=20)
    )
    applicant = factories.ApplicantFactory()
    booking.appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert services.reminders_create(now=timezone.now() + timedelta(hours=1)) == 0
