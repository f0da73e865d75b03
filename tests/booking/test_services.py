from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import errors
from booking.models import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Pool,
    RequiredDocument,
    Slot,
    new_reference,
)
from booking.services import appointment_book, appointment_cancel, appointment_reschedule
from tests import factories

pytestmark = pytest.mark.django_db


def _state() -> tuple[list, list]:
    """Everything a refused call must leave untouched: seats and appointments."""
    slots = list(Slot.objects.order_by("pk").values_list("pk", "booked", "capacity"))
    appointments = list(
        Appointment.objects.order_by("pk").values_list(
            "pk", "reference", "status", "slot_id", "reschedule_count", "cancelled_at"
        )
    )
    return slots, appointments


def _slot_at(slot: Slot, **changes) -> Slot:
    """A slot like ``slot`` (same site and procedure) with some fields changed."""
    fields = {"site": slot.site, "procedure": slot.procedure, **changes}
    if "starts_at" in changes and "ends_at" not in changes:
        fields["ends_at"] = changes["starts_at"] + timedelta(minutes=20)
    return factories.SlotFactory(**fields)


def _of_point(applicant: Applicant, mediator) -> Applicant:
    """``applicant`` as a walk-in registered at ``mediator``'s access point."""
    applicant.access_point = mediator.access_point
    applicant.save(update_fields=["access_point"])
    return applicant


def _booked(slot: Slot) -> int:
    slot.refresh_from_db(fields=["booked"])
    return slot.booked


# --- Booking -----------------------------------------------------------------------


def test_booking_takes_one_seat_and_copies_the_identity(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    slot.refresh_from_db()
    assert slot.booked == 1
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.identity_key == applicant.identity_key
    assert len(appointment.reference) == 8


def test_booking_records_who_booked_for_whom_and_through_which_channel(applicant, mediator, slot):
    _of_point(applicant, mediator)
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
    before = _state()

    with pytest.raises(errors.SlotFull) as refused:
        appointment_book(actor=second.user, applicant=second, slot_id=slot.pk)

    assert refused.value.code == "slot_full"
    assert _state() == before
    assert _booked(slot) == 1


def test_slot_fills_up_to_its_capacity_exactly(slot):
    applicants = factories.ApplicantFactory.create_batch(4)

    for person in applicants[:3]:
        appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
    with pytest.raises(errors.SlotFull):
        appointment_book(actor=applicants[3].user, applicant=applicants[3], slot_id=slot.pk)

    assert _booked(slot) == 3
    assert Appointment.objects.filter(slot=slot).count() == 3


def test_second_booking_for_the_same_procedure_is_refused(applicant, slot):
    other_slot = _slot_at(slot)
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = _state()

    with pytest.raises(errors.AlreadyBooked) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=other_slot.pk)

    assert refused.value.code == "already_booked"
    assert _state() == before
    assert _booked(other_slot) == 0


def test_booking_another_procedure_is_allowed(applicant, slot, site):
    other = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    appointment_book(actor=applicant.user, applicant=applicant, slot_id=other.pk)

    assert Appointment.objects.filter(applicant=applicant, status="booked").count() == 2


def test_rebooking_after_a_cancel_works(applicant, slot):
    first = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    appointment_cancel(actor=applicant.user, appointment=first)

    again = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    elsewhere_slot = _slot_at(slot)
    appointment_cancel(actor=applicant.user, appointment=again)
    elsewhere = appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=elsewhere_slot.pk
    )

    assert again.reference != first.reference
    assert elsewhere.status == AppointmentStatus.BOOKED
    assert _booked(slot) == 0
    assert _booked(elsewhere_slot) == 1
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


# --- Refusals: each typed, each with its stable code, none changing anything --------


def test_slot_in_the_past_refuses_booking(applicant, slot, agent):
    past = _slot_at(slot, starts_at=timezone.now() - timedelta(minutes=5))
    before = _state()

    for actor in (applicant.user, agent):
        with pytest.raises(errors.SlotInPast) as refused:
            appointment_book(actor=actor, applicant=applicant, slot_id=past.pk)
        assert refused.value.code == "slot_in_past"

    assert _state() == before


def test_slot_not_yet_visible_refuses_applicant_and_mediator(applicant, mediator, slot):
    hidden = _slot_at(slot, published_at=timezone.now() + timedelta(hours=1))
    _of_point(applicant, mediator)
    before = _state()

    for actor in (applicant.user, mediator):
        with pytest.raises(errors.SlotNotFound) as refused:
            appointment_book(actor=actor, applicant=applicant, slot_id=hidden.pk)
        assert refused.value.code == "slot_not_found"

    assert refused.value.status == 404  # indistinguishable from no slot at all
    assert _state() == before


def test_agent_may_book_a_slot_not_yet_visible(applicant, agent, slot):
    hidden = _slot_at(slot, published_at=timezone.now() + timedelta(hours=1))

    appointment_book(actor=agent, applicant=applicant, slot_id=hidden.pk, channel=Channel.AGENT)

    assert _booked(hidden) == 1


def test_slot_beyond_the_horizon_refuses_applicant(applicant, slot, procedure):
    far = _slot_at(slot, starts_at=timezone.now() + timedelta(days=procedure.horizon_days, hours=1))
    before = _state()

    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=far.pk)

    assert refused.value.code == "slot_not_found"  # as if it did not exist
    assert _state() == before


def test_agent_may_book_beyond_the_horizon(applicant, agent, slot, procedure):
    far = _slot_at(slot, starts_at=timezone.now() + timedelta(days=procedure.horizon_days, hours=1))

    appointment_book(actor=agent, applicant=applicant, slot_id=far.pk)

    assert _booked(far) == 1


def test_slot_within_the_cutoff_refuses_applicant(applicant, slot, procedure):
    soon = _slot_at(
        slot, starts_at=timezone.now() + timedelta(hours=procedure.cutoff_hours, minutes=-5)
    )
    before = _state()

    with pytest.raises(errors.BookingClosed) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=soon.pk)

    assert refused.value.code == "booking_closed"
    assert _state() == before


def test_agent_may_book_within_the_cutoff(applicant, agent, slot, procedure):
    soon = _slot_at(
        slot, starts_at=timezone.now() + timedelta(hours=procedure.cutoff_hours, minutes=-5)
    )

    appointment_book(actor=agent, applicant=applicant, slot_id=soon.pk)

    assert _booked(soon) == 1


@pytest.mark.parametrize(
    ("role", "pool"),
    [("applicant", Pool.MEDIATION), ("applicant", Pool.PRIORITY), ("mediator", Pool.PRIORITY)],
)
def test_reserved_pool_refuses_who_it_is_not_for(role, pool, applicant, mediator, slot):
    actor = {"applicant": applicant.user, "mediator": mediator}[role]
    _of_point(applicant, mediator)
    reserved = _slot_at(slot, pool=pool, starts_at=slot.starts_at)
    before = _state()

    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_book(actor=actor, applicant=applicant, slot_id=reserved.pk)

    assert refused.value.code == "slot_not_found"  # as if it did not exist
    assert _state() == before


@pytest.mark.parametrize(
    ("role", "pool"),
    [("mediator", Pool.MEDIATION), ("agent", Pool.MEDIATION), ("agent", Pool.PRIORITY)],
)
def test_reserved_pool_admits_who_it_is_for(role, pool, applicant, mediator, agent, slot):
    actor = {"mediator": mediator, "agent": agent}[role]
    _of_point(applicant, mediator)
    reserved = _slot_at(slot, pool=pool, starts_at=slot.starts_at)

    appointment_book(actor=actor, applicant=applicant, slot_id=reserved.pk)

    assert _booked(reserved) == 1


def test_procedure_not_self_bookable_refuses_applicant(applicant, slot, procedure):
    procedure.self_booking = False
    procedure.save(update_fields=["self_booking"])
    before = _state()

    with pytest.raises(errors.ProcedureNotSelfBookable) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert refused.value.code == "procedure_not_self_bookable"
    assert _state() == before


def test_procedure_not_self_bookable_admits_staff(applicant, mediator, slot, procedure):
    procedure.self_booking = False
    procedure.save(update_fields=["self_booking"])
    _of_point(applicant, mediator)

    appointment_book(actor=mediator, applicant=applicant, slot_id=slot.pk)

    assert _booked(slot) == 1


def test_procedure_requiring_a_passport_refuses_a_foreigner_number(applicant, agent, slot):
    slot.procedure.required_document = RequiredDocument.PASSPORT
    slot.procedure.save(update_fields=["required_document"])
    assert applicant.document_type == "agdref"
    before = _state()

    for actor in (applicant.user, agent):
        with pytest.raises(errors.DocumentNotAccepted) as refused:
            appointment_book(actor=actor, applicant=applicant, slot_id=slot.pk)
        assert refused.value.code == "document_not_accepted"

    assert "Passport" in refused.value.detail or "Passeport" in refused.value.detail
    assert _state() == before


def test_procedure_requiring_a_passport_accepts_one(agent, slot):
    slot.procedure.required_document = RequiredDocument.PASSPORT
    slot.procedure.save(update_fields=["required_document"])
    holder = factories.ApplicantFactory(document_type="passport", document_number="AB123456")

    appointment_book(actor=holder.user, applicant=holder, slot_id=slot.pk)

    assert _booked(slot) == 1


def test_applicant_may_not_book_for_another_person(applicant, other_applicant, slot):
    before = _state()

    with pytest.raises(errors.NotAllowed) as refused:
        appointment_book(actor=applicant.user, applicant=other_applicant, slot_id=slot.pk)

    assert refused.value.code == "not_allowed"
    assert _state() == before


def test_deactivated_account_may_not_book(applicant, slot):
    applicant.user.is_active = False
    applicant.user.save(update_fields=["is_active"])

    with pytest.raises(errors.NotAllowed):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert _booked(slot) == 0


def test_inactive_procedure_or_site_refuses_booking(applicant, agent, slot):
    slot.procedure.is_active = False
    slot.procedure.save(update_fields=["is_active"])
    with pytest.raises(errors.ProcedureUnavailable) as refused:
        appointment_book(actor=agent, applicant=applicant, slot_id=slot.pk)
    assert refused.value.code == "procedure_unavailable"

    slot.procedure.is_active = True
    slot.procedure.save(update_fields=["is_active"])
    slot.site.is_active = False
    slot.site.save(update_fields=["is_active"])
    with pytest.raises(errors.ProcedureUnavailable):
        appointment_book(actor=agent, applicant=applicant, slot_id=slot.pk)

    assert _booked(slot) == 0


@pytest.mark.parametrize("slot_id", [10**9, "not-a-number", None])
def test_unknown_slot_is_refused(applicant, slot_id):
    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot_id)

    assert refused.value.code == "slot_not_found"


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
    before = _state()

    with pytest.raises(errors.AppointmentNotActive) as refused:
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert refused.value.code == "appointment_not_active"
    assert _state() == before
    assert _booked(slot) == 1


def test_cancelling_a_past_appointment_is_refused(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now()
    )
    before = _state()

    with pytest.raises(errors.AppointmentPast) as refused:
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert refused.value.code == "appointment_past"
    assert _state() == before


def test_applicant_may_not_cancel_for_another_person(applicant, other_applicant, slot):
    appointment = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )
    before = _state()

    with pytest.raises(errors.NotAllowed):
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert _state() == before


def test_checked_in_appointment_cannot_be_cancelled(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CHECKED_IN)
    before = _state()

    with pytest.raises(errors.AppointmentNotActive):
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert _state() == before


# --- Rescheduling ------------------------------------------------------------------


def test_reschedule_moves_the_seat_and_keeps_the_reference(applicant, slot):
    new_slot = _slot_at(slot)
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
    assert (_booked(slot), _booked(new_slot)) == (0, 1)


def test_reschedule_into_a_full_slot_leaves_the_old_appointment_standing(applicant, slot):
    full = _slot_at(slot, capacity=1)
    taker = factories.ApplicantFactory()
    appointment_book(actor=taker.user, applicant=taker, slot_id=full.pk)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = _state()

    with pytest.raises(errors.SlotFull) as refused:
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=full.pk)

    assert refused.value.code == "slot_full"
    assert _state() == before
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.reference, stored.slot_id, stored.status, stored.reschedule_count) == (
        appointment.reference,
        slot.pk,
        AppointmentStatus.BOOKED,
        0,
    )
    assert (_booked(slot), _booked(full)) == (1, 1)


def test_reschedule_to_the_same_slot_is_refused(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = _state()

    with pytest.raises(errors.SameSlot) as refused:
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=slot.pk)

    assert refused.value.code == "same_slot"
    assert _state() == before


def test_reschedule_to_another_procedure_is_refused(applicant, slot, site):
    other = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = _state()

    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=other.pk)

    assert refused.value.code == "slot_not_found"  # as if it did not exist
    assert _state() == before


def test_reschedule_of_a_cancelled_appointment_is_refused(applicant, slot):
    new_slot = _slot_at(slot)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    appointment_cancel(actor=applicant.user, appointment=appointment)
    before = _state()

    with pytest.raises(errors.AppointmentNotActive):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=new_slot.pk
        )

    assert _state() == before


def test_reschedule_applies_the_booking_rules_to_the_new_slot(applicant, slot):
    reserved = _slot_at(slot, pool=Pool.PRIORITY)
    closed = _slot_at(slot, starts_at=timezone.now() + timedelta(minutes=30))
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = _state()

    with pytest.raises(errors.SlotNotFound):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=reserved.pk
        )
    with pytest.raises(errors.BookingClosed):
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=closed.pk)

    assert _state() == before


def test_reschedule_of_a_past_appointment_is_refused(applicant, slot):
    new_slot = _slot_at(slot)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now()
    )
    before = _state()

    with pytest.raises(errors.AppointmentPast):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=new_slot.pk
        )

    assert _state() == before


def test_applicant_may_not_reschedule_for_another_person(applicant, other_applicant, slot):
    new_slot = _slot_at(slot)
    appointment = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )
    before = _state()

    with pytest.raises(errors.NotAllowed):
        appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=new_slot.pk
        )

    assert _state() == before


def test_reschedule_to_an_unknown_slot_is_refused(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = _state()

    with pytest.raises(errors.SlotNotFound):
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=10**9)

    assert _state() == before


# --- The stable codes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (errors.SlotNotFound, "slot_not_found", 404),
        (errors.AppointmentNotFound, "appointment_not_found", 404),
        (errors.SlotFull, "slot_full", 409),
        (errors.AlreadyBooked, "already_booked", 409),
        (errors.SlotInPast, "slot_in_past", 409),
        (errors.BookingClosed, "booking_closed", 409),
        (errors.ProcedureNotSelfBookable, "procedure_not_self_bookable", 403),
        (errors.ProcedureUnavailable, "procedure_unavailable", 409),
        (errors.DocumentNotAccepted, "document_not_accepted", 409),
        (errors.NotAllowed, "not_allowed", 403),
        (errors.AppointmentNotActive, "appointment_not_active", 409),
        (errors.IdentityChanged, "identity_changed", 409),
        (errors.SameSlot, "same_slot", 409),
        (errors.InvalidPublication, "invalid_publication", 400),
        (errors.AppointmentPast, "appointment_past", 409),
        (errors.IdentityMissing, "identity_missing", 409),
        (errors.InvalidIdentity, "invalid_identity", 400),
        (errors.IdentityTaken, "identity_taken", 409),
    ],
)
def test_every_booking_error_has_its_stable_code(error, code, status):
    raised = error(required="Passport") if error is errors.DocumentNotAccepted else error()

    assert (raised.code, raised.status) == (code, status)
    assert raised.detail  # a message for people, never empty


def test_unconfirmed_account_may_not_book_or_move(slot):
    """No booking before the e-mail and the phone are confirmed; nothing changes."""
    user = factories.UnverifiedUserFactory()
    applicant = factories.ApplicantFactory(user=user)

    with pytest.raises(errors.AccountNotVerified) as refused:
        appointment_book(actor=user, applicant=applicant, slot_id=slot.pk)

    assert refused.value.code == "account_not_verified"
    slot.refresh_from_db()
    assert slot.booked == 0
    assert not Appointment.objects.exists()


def test_staff_book_for_an_applicant_whose_account_is_unconfirmed(slot, mediator):
    applicant = factories.ApplicantFactory(
        user=factories.UnverifiedUserFactory(), access_point=mediator.access_point
    )

    appointment = appointment_book(actor=mediator, applicant=applicant, slot_id=slot.pk)

    assert appointment.status == AppointmentStatus.BOOKED
