from __future__ import annotations

import pytest

from booking import errors
from booking.models import AppointmentStatus, Slot
from booking.services import appointment_book, appointment_cancel
from tests import factories

pytestmark = pytest.mark.django_db


def test_booking_takes_one_seat_and_copies_the_identity(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    slot.refresh_from_db()
    assert slot.booked == 1
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.identity_key == applicant.identity_key
    assert len(appointment.reference) == 8


def test_full_slot_refuses_booking(slot):
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    first, second = factories.ApplicantFactory(), factories.ApplicantFactory()
    appointment_book(actor=first.user, applicant=first, slot_id=slot.pk)

    with pytest.raises(errors.SlotFull):
        appointment_book(actor=second.user, applicant=second, slot_id=slot.pk)

    slot.refresh_from_db()
    assert slot.booked == 1


def test_cancel_frees_the_seat(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    appointment_cancel(actor=applicant.user, appointment=appointment)

    slot.refresh_from_db()
    assert slot.booked == 0
