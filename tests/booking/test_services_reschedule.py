"""Rescheduling through the service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import errors
from booking.models import Appointment, AppointmentStatus, Pool, Slot
from booking.services import appointment_book, appointment_cancel, appointment_reschedule
from tests import factories
from tests.helpers.booking_pages import booked_seats
from tests.helpers.booking_services import seats_and_appointments, slot_like

pytestmark = pytest.mark.django_db


# --- Rescheduling ------------------------------------------------------------------


def test_reschedule_moves_the_seat_and_keeps_the_reference(applicant, slot):
    new_slot = slot_like(slot)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    moved = appointment_reschedule(
        actor=applicant.user, appointment=appointment, new_slot_id=new_slot.pk
    )

    stored = Appointment.objects.get(pk=appointment.pk)
    assert moved.pk == appointment.pk
    assert stored.reference == appointment.reference
    assert stored.slot_id == new_slot.pk
    assert stored.reschedule_count == moved.reschedule_count == 1
    assert stored.status == AppointmentStatus.BOOKED
    assert stored.identity_key == applicant.identity_key
    assert (booked_seats(slot), booked_seats(new_slot)) == (0, 1)


def test_reschedule_into_a_full_slot_leaves_the_old_appointment_standing(applicant, slot):
    full = slot_like(slot, capacity=1)
    taker = factories.ApplicantFactory()
    appointment_book(actor=taker.user, applicant=taker, slot_id=full.pk)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = seats_and_appointments()

    with pytest.raises(errors.SlotFull) as refused:
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=full.pk)

    assert refused.value.code == "slot_full"
    assert seats_and_appointments() == before
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.reference, stored.slot_id, stored.status, stored.reschedule_count) == (
        appointment.reference,
        slot.pk,
        AppointmentStatus.BOOKED,
        0,
    )
    assert (booked_seats(slot), booked_seats(full)) == (1, 1)


def test_reschedule_to_the_same_slot_is_refused(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = seats_and_appointments()

    with pytest.raises(errors.SameSlot) as refused:
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=slot.pk)

    assert refused.value.code == "same_slot"
    assert seats_and_appointments() == before


def test_reschedule_to_another_procedure_is_refused(applicant, slot, site):
    other = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = seats_and_appointments()

    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=other.pk)

    assert refused.value.code == "slot_not_found"  # as if it did not exist
    assert seats_and_appointments() == before


def test_reschedule_of_a_cancelled_appointment_is_refused(applicant, slot):
    new_slot = slot_like(slot)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    appointment_cancel(actor=applicant.user, appointment=appointment)
    before = seats_and_appointments()

    with pytest.raises(errors.AppointmentNotActive):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=new_slot.pk
        )

    assert seats_and_appointments() == before


def test_reschedule_applies_the_booking_rules_to_the_new_slot(applicant, slot):
    reserved = slot_like(slot, pool=Pool.PRIORITY)
    closed = slot_like(slot, starts_at=timezone.now() + timedelta(minutes=30))
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = seats_and_appointments()

    with pytest.raises(errors.SlotNotFound):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=reserved.pk
        )
    with pytest.raises(errors.BookingClosed):
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=closed.pk)

    assert seats_and_appointments() == before


def test_reschedule_of_a_past_appointment_is_refused(applicant, slot):
    new_slot = slot_like(slot)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now()
    )
    before = seats_and_appointments()

    with pytest.raises(errors.AppointmentPast):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=new_slot.pk
        )

    assert seats_and_appointments() == before


def test_applicant_may_not_reschedule_for_another_person(applicant, other_applicant, slot):
    new_slot = slot_like(slot)
    appointment = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )
    before = seats_and_appointments()

    with pytest.raises(errors.NotAllowed):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=new_slot.pk
        )

    assert seats_and_appointments() == before


def test_reschedule_to_an_unknown_slot_is_refused(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = seats_and_appointments()

    with pytest.raises(errors.SlotNotFound):
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=10**9)

    assert seats_and_appointments() == before
