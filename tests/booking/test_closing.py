"""Closing the appointments whose day is over (``appointments_close_past``).

An active appointment holds the person's one place for its procedure; one
left active after its day would keep them from ever booking that procedure
again.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.models import Applicant, Appointment, AppointmentStatus, Slot
from booking.services import appointment_book, appointment_cancel, appointments_close_past
from booking.tasks import close_past_appointments_task
from tests import factories

pytestmark = pytest.mark.django_db

# The hour the closing runs at in these tests: noon, local time, today.
NOON = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))


def _book(applicant: Applicant, slot: Slot) -> Appointment:
    return appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def _at(appointment: Appointment, starts: datetime) -> Appointment:
    """Move the appointment's slot to ``starts`` (booking in the past is refused)."""
    Slot.objects.filter(pk=appointment.slot_id).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=20)
    )
    return appointment


def _status(appointment: Appointment) -> str:
    return Appointment.objects.values_list("status", flat=True).get(pk=appointment.pk)


def test_the_appointments_of_days_before_today_are_closed_and_the_rest_left(site):
    def booked(starts: datetime) -> Appointment:
        return _at(_book(factories.ApplicantFactory(), factories.SlotFactory(site=site)), starts)

    yesterday = booked(NOON - timedelta(days=1))
    came_yesterday = booked(NOON - timedelta(days=1, hours=2))
    Appointment.objects.filter(pk=came_yesterday.pk).update(status=AppointmentStatus.CHECKED_IN)
    cancelled = _book(factories.ApplicantFactory(), factories.SlotFactory(site=site))
    appointment_cancel(actor=cancelled.applicant.user, appointment=cancelled)
    _at(cancelled, NOON - timedelta(days=2))
    # Over, but today: the counter may still record it.
    this_morning = booked(NOON.replace(hour=0, minute=5))
    tomorrow = booked(NOON + timedelta(days=1))

    closed = appointments_close_past(now=NOON)

    assert closed == {"ended": 1, "done": 1}
    assert _status(yesterday) == AppointmentStatus.ENDED
    assert _status(came_yesterday) == AppointmentStatus.DONE
    assert _status(cancelled) == AppointmentStatus.CANCELLED
    assert _status(this_morning) == AppointmentStatus.BOOKED
    assert _status(tomorrow) == AppointmentStatus.BOOKED


def test_a_slot_ending_at_midnight_belongs_to_the_day_before(slot, applicant):
    appointment = _at(_book(applicant, slot), NOON.replace(hour=0) - timedelta(minutes=20))

    appointments_close_past(now=NOON)

    assert _status(appointment) == AppointmentStatus.ENDED


def test_the_seat_of_a_closed_appointment_stays_taken(slot, applicant):
    appointment = _at(_book(applicant, slot), NOON - timedelta(days=1))

    appointments_close_past(now=NOON)

    assert Slot.objects.get(pk=appointment.slot_id).booked == 1


def test_once_closed_the_person_may_book_the_procedure_again(slot, applicant):
    _at(_book(applicant, slot), NOON - timedelta(days=30))
    next_one = factories.SlotFactory(site=slot.site, procedure=slot.procedure)
    with pytest.raises(errors.AlreadyBooked):
        _book(applicant, next_one)

    appointments_close_past(now=NOON)

    assert _book(applicant, next_one).status == AppointmentStatus.BOOKED


def test_closing_is_audited_once_and_twice_changes_nothing(slot, applicant):
    _at(_book(applicant, slot), NOON - timedelta(days=1))

    assert appointments_close_past(now=NOON) == {"ended": 1}
    assert appointments_close_past(now=NOON + timedelta(hours=1)) == {}

    event = AuditEvent.objects.get(action=AuditAction.APPOINTMENTS_CLOSED)
    assert event.actor_id is None
    midnight = NOON.replace(hour=0).isoformat()
    assert event.details == {
        "closed": {"ended": 1},
        "blocked": 0,
        "ended_before": midnight,
    }


def test_the_task_closes_and_runs_every_hour(slot, applicant):
    appointment = _at(_book(applicant, slot), timezone.now() - timedelta(days=2))

    assert close_past_appointments_task.delay().get() == {"ended": 1}
    assert _status(appointment) == AppointmentStatus.ENDED
    entry = settings.CELERY_BEAT_SCHEDULE["booking-close-past-appointments"]
    assert entry == {"task": close_past_appointments_task.name, "schedule": 3600.0}


def test_the_person_sees_a_closed_appointment_as_past_and_may_book_again(client, slot, applicant):
    appointment = _at(_book(applicant, slot), NOON - timedelta(days=3))
    appointments_close_past(now=NOON)
    client.force_login(applicant.user)

    mine = client.get(reverse("booking:my_appointments"), HTTP_ACCEPT_LANGUAGE="fr")
    procedures = client.get(reverse("booking:procedures"), HTTP_ACCEPT_LANGUAGE="fr")

    past = mine.content.decode().split("Passés et annulés")[1]
    assert appointment.reference in past and "(Passé)" in past
    assert appointment.reference not in procedures.content.decode()
