"""Cancelling through the service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import errors
from booking.models import Appointment, AppointmentStatus, Slot
from booking.services import appointment_book, appointment_cancel
from tests import factories
from tests.helpers.booking_pages import booked_seats
from tests.helpers.booking_services import seats_and_appointments

pytestmark = pytest.mark.django_db


# --- Cancelling --------------------------------------------------------------------


def test_cancel_frees_the_seat(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    appointment_cancel(actor=applicant.user, appointment=appointment)

    slot.refresh_from_db()
    assert slot.booked == 0


def test_cancel_records_who_and_when(applicant, agent, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    appointment_cancel(actor=agent, appointment=appointment)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by_id == agent.pk
    assert appointment.cancelled_at is not None


def test_cancelling_twice_is_refused(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    other = factories.ApplicantFactory()
    appointment_book(actor=other.user, applicant=other, slot_id=slot.pk)
    appointment_cancel(actor=applicant.user, appointment=appointment)
    before = seats_and_appointments()

    with pytest.raises(errors.AppointmentNotActive) as refused:
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert refused.value.code == "appointment_not_active"
    assert seats_and_appointments() == before
    assert booked_seats(slot) == 1


def test_cancelling_a_past_appointment_is_refused(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now()
    )
    before = seats_and_appointments()

    with pytest.raises(errors.AppointmentPast) as refused:
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert refused.value.code == "appointment_past"
    assert seats_and_appointments() == before


def test_applicant_may_not_cancel_for_another_person(applicant, other_applicant, slot):
    appointment = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )
    before = seats_and_appointments()

    with pytest.raises(errors.NotAllowed):
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert seats_and_appointments() == before


def test_checked_in_appointment_cannot_be_cancelled(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CHECKED_IN)
    before = seats_and_appointments()

    with pytest.raises(errors.AppointmentNotActive):
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert seats_and_appointments() == before
