"""Booking refusals: each typed, each with its stable code, none changing anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import errors
from booking.models import Appointment, AppointmentStatus, Channel, Pool, RequiredDocument
from booking.services import appointment_book
from tests import factories
from tests.helpers.booking_pages import booked_seats
from tests.helpers.booking_services import seats_and_appointments, slot_like, walk_in

pytestmark = pytest.mark.django_db


# --- Refusals: each typed, each with its stable code, none changing anything --------


def test_slot_in_the_past_refuses_booking(applicant, slot, agent):
    past = slot_like(slot, starts_at=timezone.now() - timedelta(minutes=5))
    before = seats_and_appointments()

    for actor in (applicant.user, agent):
        with pytest.raises(errors.SlotInPast) as refused:
            appointment_book(actor=actor, applicant=applicant, slot_id=past.pk)
        assert refused.value.code == "slot_in_past"

    assert seats_and_appointments() == before


def test_slot_not_yet_visible_refuses_applicant_and_mediator(applicant, mediator, slot):
    hidden = slot_like(slot, published_at=timezone.now() + timedelta(hours=1))
    walk_in(applicant, mediator)
    before = seats_and_appointments()

    for actor in (applicant.user, mediator):
        with pytest.raises(errors.SlotNotFound) as refused:
            appointment_book(actor=actor, applicant=applicant, slot_id=hidden.pk)
        assert refused.value.code == "slot_not_found"

    assert refused.value.status == 404  # indistinguishable from no slot at all
    assert seats_and_appointments() == before


def test_agent_may_book_a_slot_not_yet_visible(applicant, agent, slot):
    hidden = slot_like(slot, published_at=timezone.now() + timedelta(hours=1))

    appointment_book(actor=agent, applicant=applicant, slot_id=hidden.pk, channel=Channel.AGENT)

    assert booked_seats(hidden) == 1


def test_slot_beyond_the_horizon_refuses_applicant(applicant, slot, procedure):
    far = slot_like(
        slot, starts_at=timezone.now() + timedelta(days=procedure.horizon_days, hours=1)
    )
    before = seats_and_appointments()

    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=far.pk)

    assert refused.value.code == "slot_not_found"  # as if it did not exist
    assert seats_and_appointments() == before


def test_agent_may_book_beyond_the_horizon(applicant, agent, slot, procedure):
    far = slot_like(
        slot, starts_at=timezone.now() + timedelta(days=procedure.horizon_days, hours=1)
    )

    appointment_book(actor=agent, applicant=applicant, slot_id=far.pk)

    assert booked_seats(far) == 1


def test_slot_within_the_cutoff_refuses_applicant(applicant, slot, procedure):
    soon = slot_like(
        slot, starts_at=timezone.now() + timedelta(hours=procedure.cutoff_hours, minutes=-5)
    )
    before = seats_and_appointments()

    with pytest.raises(errors.BookingClosed) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=soon.pk)

    assert refused.value.code == "booking_closed"
    assert seats_and_appointments() == before


def test_agent_may_book_within_the_cutoff(applicant, agent, slot, procedure):
    soon = slot_like(
        slot, starts_at=timezone.now() + timedelta(hours=procedure.cutoff_hours, minutes=-5)
    )

    appointment_book(actor=agent, applicant=applicant, slot_id=soon.pk)

    assert booked_seats(soon) == 1


@pytest.mark.parametrize(
    ("role", "pool"),
    [("applicant", Pool.MEDIATION), ("applicant", Pool.PRIORITY), ("mediator", Pool.PRIORITY)],
)
def test_reserved_pool_refuses_who_it_is_not_for(role, pool, applicant, mediator, slot):
    actor = {"applicant": applicant.user, "mediator": mediator}[role]
    walk_in(applicant, mediator)
    reserved = slot_like(slot, pool=pool, starts_at=slot.starts_at)
    before = seats_and_appointments()

    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_book(actor=actor, applicant=applicant, slot_id=reserved.pk)

    assert refused.value.code == "slot_not_found"  # as if it did not exist
    assert seats_and_appointments() == before


@pytest.mark.parametrize(
    ("role", "pool"),
    [("mediator", Pool.MEDIATION), ("agent", Pool.MEDIATION), ("agent", Pool.PRIORITY)],
)
def test_reserved_pool_admits_who_it_is_for(role, pool, applicant, mediator, agent, slot):
    actor = {"mediator": mediator, "agent": agent}[role]
    walk_in(applicant, mediator)
    reserved = slot_like(slot, pool=pool, starts_at=slot.starts_at)

    appointment_book(actor=actor, applicant=applicant, slot_id=reserved.pk)

    assert booked_seats(reserved) == 1


def test_procedure_not_self_bookable_refuses_applicant(applicant, slot, procedure):
    procedure.self_booking = False
    procedure.save(update_fields=["self_booking"])
    before = seats_and_appointments()

    with pytest.raises(errors.ProcedureNotSelfBookable) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert refused.value.code == "procedure_not_self_bookable"
    assert seats_and_appointments() == before


def test_procedure_not_self_bookable_admits_staff(applicant, mediator, slot, procedure):
    procedure.self_booking = False
    procedure.save(update_fields=["self_booking"])
    walk_in(applicant, mediator)

    appointment_book(actor=mediator, applicant=applicant, slot_id=slot.pk)

    assert booked_seats(slot) == 1


def test_procedure_requiring_a_passport_refuses_a_foreigner_number(applicant, agent, slot):
    slot.procedure.required_document = RequiredDocument.PASSPORT
    slot.procedure.save(update_fields=["required_document"])
    assert applicant.document_type == "agdref"
    before = seats_and_appointments()

    for actor in (applicant.user, agent):
        with pytest.raises(errors.DocumentNotAccepted) as refused:
            appointment_book(actor=actor, applicant=applicant, slot_id=slot.pk)
        assert refused.value.code == "document_not_accepted"

    assert "Passport" in refused.value.detail or "Passeport" in refused.value.detail
    assert seats_and_appointments() == before


def test_procedure_requiring_a_passport_accepts_one(agent, slot):
    slot.procedure.required_document = RequiredDocument.PASSPORT
    slot.procedure.save(update_fields=["required_document"])
    holder = factories.ApplicantFactory(document_type="passport", document_number="AB123456")

    appointment_book(actor=holder.user, applicant=holder, slot_id=slot.pk)

    assert booked_seats(slot) == 1


def test_applicant_may_not_book_for_another_person(applicant, other_applicant, slot):
    before = seats_and_appointments()

    with pytest.raises(errors.NotAllowed) as refused:
        appointment_book(actor=applicant.user, applicant=other_applicant, slot_id=slot.pk)

    assert refused.value.code == "not_allowed"
    assert seats_and_appointments() == before


def test_deactivated_account_may_not_book(applicant, slot):
    applicant.user.is_active = False
    applicant.user.save(update_fields=["is_active"])

    with pytest.raises(errors.NotAllowed):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert booked_seats(slot) == 0


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

    assert booked_seats(slot) == 0


@pytest.mark.parametrize("slot_id", [10**9, "not-a-number", None])
def test_unknown_slot_is_refused(applicant, slot_id):
    with pytest.raises(errors.SlotNotFound) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot_id)

    assert refused.value.code == "slot_not_found"


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
    factories.ConsentFactory(applicant=applicant, mediator=mediator)

    appointment = appointment_book(actor=mediator, applicant=applicant, slot_id=slot.pk)

    assert appointment.status == AppointmentStatus.BOOKED
