"""Booking through the service: seats, identity snapshot, references."""

from __future__ import annotations

import pytest

from booking import errors
from booking.models import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Appointment,
    AppointmentStatus,
    Channel,
    Slot,
    new_reference,
)
from booking.services import appointment_book, appointment_cancel
from tests import factories
from tests.helpers.booking_pages import booked_seats
from tests.helpers.booking_services import seats_and_appointments, slot_like, walk_in

pytestmark = pytest.mark.django_db


# --- Booking -----------------------------------------------------------------------


def test_booking_takes_one_seat_and_copies_the_identity(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    slot.refresh_from_db()
    assert slot.booked == 1
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.identity_key == applicant.identity_key
    assert len(appointment.reference) == 8


def test_booking_records_who_booked_for_whom_and_through_which_channel(applicant, mediator, slot):
    walk_in(applicant, mediator)
    appointment = appointment_book(
        actor=mediator, applicant=applicant, slot_id=slot.pk, channel=Channel.MEDIATION
    )

    stored = Appointment.objects.get(pk=appointment.pk)
    assert stored.applicant_id == applicant.pk
    assert stored.booked_by_id == mediator.pk
    assert stored.booked_by_role == "mediator"
    assert stored.channel == "mediation"
    assert stored.procedure_id == slot.procedure_id
    assert (stored.surname, stored.given_names, stored.birth_date) == (
        applicant.surname,
        applicant.given_names,
        applicant.birth_date,
    )
    assert (stored.document_type, stored.document_number, str(stored.nationality)) == (
        applicant.document_type,
        applicant.document_number,
        str(applicant.nationality),
    )


def test_appointment_keeps_the_identity_it_was_booked_with(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    booked_surname = applicant.surname

    applicant.surname = "Someone Else"
    applicant.save()

    appointment.refresh_from_db()
    assert appointment.surname == booked_surname


def test_full_slot_refuses_booking(slot):
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    first, second = factories.ApplicantFactory(), factories.ApplicantFactory()
    appointment_book(actor=first.user, applicant=first, slot_id=slot.pk)
    before = seats_and_appointments()

    with pytest.raises(errors.SlotFull) as refused:
        appointment_book(actor=second.user, applicant=second, slot_id=slot.pk)

    assert refused.value.code == "slot_full"
    assert seats_and_appointments() == before
    assert booked_seats(slot) == 1


def test_slot_fills_up_to_its_capacity_exactly(slot):
    applicants = factories.ApplicantFactory.create_batch(4)

    for person in applicants[:3]:
        appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
    with pytest.raises(errors.SlotFull):
        appointment_book(actor=applicants[3].user, applicant=applicants[3], slot_id=slot.pk)

    assert booked_seats(slot) == 3
    assert Appointment.objects.filter(slot=slot).count() == 3


def test_second_booking_for_the_same_procedure_is_refused(applicant, slot):
    other_slot = slot_like(slot)
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = seats_and_appointments()

    with pytest.raises(errors.AlreadyBooked) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=other_slot.pk)

    assert refused.value.code == "already_booked"
    assert seats_and_appointments() == before
    assert booked_seats(other_slot) == 0


def test_booking_another_procedure_is_allowed(applicant, slot, site):
    other = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    appointment_book(actor=applicant.user, applicant=applicant, slot_id=other.pk)

    assert Appointment.objects.filter(applicant=applicant, status="booked").count() == 2


def test_rebooking_after_a_cancel_works(applicant, slot):
    first = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    appointment_cancel(actor=applicant.user, appointment=first)

    again = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    elsewhere_slot = slot_like(slot)
    appointment_cancel(actor=applicant.user, appointment=again)
    elsewhere = appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=elsewhere_slot.pk
    )

    assert again.reference != first.reference
    assert elsewhere.status == AppointmentStatus.BOOKED
    assert booked_seats(slot) == 0
    assert booked_seats(elsewhere_slot) == 1
    assert Appointment.objects.filter(applicant=applicant).count() == 3
    assert Appointment.objects.filter(applicant=applicant, status="booked").count() == 1


def test_references_are_eight_unambiguous_characters_and_unique(site, procedure, agent):
    slots = factories.SlotFactory.create_batch(10, site=site, procedure=procedure, capacity=5)
    references = [
        appointment_book(
            actor=agent, applicant=factories.ApplicantFactory(), slot_id=s.pk
        ).reference
        for s in slots
        for _ in range(5)
    ]

    assert len(set(references)) == 50
    for reference in references:
        assert len(reference) == REFERENCE_LENGTH == 8
        assert set(reference) <= set(REFERENCE_ALPHABET)


def test_reference_alphabet_has_no_ambiguous_characters():
    assert not set("01OIL") & set(REFERENCE_ALPHABET)
    drawn = {new_reference() for _ in range(2000)}
    assert len(drawn) == 2000
    assert set("".join(drawn)) == set(REFERENCE_ALPHABET)
