"""Consents and finding people: a mediator acts for a person only with the
person's valid consent to their point, and finds someone who is not one of
the point's people only with their document number and date of birth."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import errors as booking_errors
from booking.models import Applicant, AppointmentStatus
from booking.permissions import can_act_for, visible_applicants
from booking.selectors import appointments_for
from booking.services import appointment_book, appointment_cancel, appointment_reschedule
from mediation import errors, selectors
from mediation.models import Consent
from mediation.services import consent_give, consent_withdraw, walk_in_register
from tests import factories

pytestmark = pytest.mark.django_db


def _give(actor, applicant, **changes) -> Consent:
    arguments = {
        "given_by": "person",
        "given_by_name": "",
        "method": "written",
        "purposes": ["booking"],
        "valid_until": timezone.localdate() + timedelta(days=30),
        **changes,
    }
    return consent_give(actor=actor, applicant=applicant, **arguments)


@pytest.fixture
def walk_in(mediator):
    return factories.ApplicantFactory(user=None, access_point=mediator.access_point)


@pytest.fixture
def elsewhere(db):
    """A walk-in of another point, with an appointment booked there."""
    other = factories.MediatorFactory()
    person = factories.ApplicantFactory(user=None, access_point=other.access_point)
    factories.ConsentFactory(applicant=person, mediator=other)
    appointment_book(actor=other, applicant=person, slot_id=factories.SlotFactory().pk)
    return person


# --- Giving and withdrawing ----------------------------------------------------------------


def test_a_consent_records_who_gave_it_to_whom_how_for_what_until_when(mediator, walk_in):
    until = timezone.localdate() + timedelta(days=10)

    consent = _give(
        mediator,
        walk_in,
        given_by="representative",
        given_by_name="  Awa Traoré (daughter) ",
        method="oral",
        purposes=["booking", "contact_sms", "booking"],
        valid_until=until,
    )

    stored = Consent.objects.get(pk=consent.pk)
    assert stored.applicant == walk_in
    assert (stored.access_point_id, stored.mediator) == (mediator.access_point_id, mediator)
    assert (stored.given_by, stored.given_by_name) == ("representative", "Awa Traoré (daughter)")
    assert (stored.method, stored.purposes, stored.valid_until) == (
        "oral",
        ["booking", "contact_sms"],
        until,
    )
    row = AuditEvent.objects.get(action=AuditAction.CONSENT_GIVEN)
    assert (row.actor_id, row.applicant_id) == (mediator.pk, walk_in.pk)
    assert row.details["access_point"] == mediator.access_point_id
    assert row.details["consent"] == consent.pk


@pytest.mark.parametrize(
    "changes",
    [
        {"purposes": []},
        {"purposes": ["booking", "anything"]},
        {"given_by": "neighbour"},
        {"given_by": "representative", "given_by_name": "  "},
        {"method": "smoke"},
        {"valid_until": date(2000, 1, 1)},
        {"valid_until": timezone.localdate() + timedelta(days=366)},
    ],
)
def test_a_bad_consent_is_refused_and_nothing_is_written(mediator, walk_in, changes):
    with pytest.raises(errors.InvalidConsent):
        _give(mediator, walk_in, **changes)

    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CONSENT_GIVEN).exists()


@pytest.mark.parametrize("role", ["agent", "supervisor", "applicant"])
def test_only_a_mediator_of_a_point_records_a_consent(request, role, walk_in):
    actor = {
        "agent": lambda: request.getfixturevalue("agent"),
        "supervisor": lambda: request.getfixturevalue("supervisor"),
        "applicant": lambda: request.getfixturevalue("applicant").user,
    }[role]()

    with pytest.raises(errors.MediatorOnly):
        _give(actor, walk_in)


def test_a_mediator_without_a_point_records_nothing(walk_in):
    with pytest.raises(errors.MediatorOnly):
        _give(factories.MediatorFactory(access_point=None), walk_in)


def test_the_points_mediators_and_supervisors_withdraw_others_do_not(mediator, walk_in, supervisor):
    colleague = factories.MediatorFactory(access_point=mediator.access_point)
    consent = _give(mediator, walk_in)
    for outsider in (factories.MediatorFactory(), factories.AgentFactory()):
        with pytest.raises(booking_errors.NotAllowed):
            consent_withdraw(actor=outsider, consent=consent)

    withdrawn = consent_withdraw(actor=colleague, consent=consent)

    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by == colleague
    with pytest.raises(errors.ConsentNotActive):
        consent_withdraw(actor=supervisor, consent=consent)
    row = AuditEvent.objects.get(action=AuditAction.CONSENT_WITHDRAWN)
    assert row.details == {"access_point": mediator.access_point_id, "consent": consent.pk}
    assert consent_withdraw(actor=supervisor, consent=_give(mediator, walk_in)).withdrawn_at


def test_a_valid_consent_is_for_its_point_its_purposes_and_its_days(mediator, walk_in):
    consent = _give(mediator, walk_in, purposes=["contact_sms"])
    point = mediator.access_point_id
    now = timezone.now()

    def valid(purpose="contact_sms", point=point, at=now):
        return selectors.consent_valid(
            applicant=walk_in, access_point_id=point, purpose=purpose, now=at
        )

    assert valid() == consent
    assert valid("booking") is None
    assert valid(point=factories.AccessPointFactory().pk) is None
    assert valid(at=now + timedelta(days=31)) is None  # past valid_until
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=now)
    assert valid() is None


# --- Before every action ---------------------------------------------------------------------


def test_consent_is_required_before_every_action(mediator, walk_in, site, procedure):
    first, second = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)

    with pytest.raises(errors.ConsentRequired) as refused:
        appointment_book(actor=mediator, applicant=walk_in, slot_id=first.pk)
    assert refused.value.code == "consent_required"
    _give(mediator, walk_in, purposes=["contact_sms", "waiting_list"])  # not for booking
    with pytest.raises(errors.ConsentRequired):
        appointment_book(actor=mediator, applicant=walk_in, slot_id=first.pk)

    consent = _give(mediator, walk_in)
    appointment = appointment_book(actor=mediator, applicant=walk_in, slot_id=first.pk)
    moved = appointment_reschedule(actor=mediator, appointment=appointment, new_slot_id=second.pk)
    cancelled = appointment_cancel(actor=mediator, appointment=moved)

    assert cancelled.status == AppointmentStatus.CANCELLED
    for action in (
        AuditAction.APPOINTMENT_BOOKED,
        AuditAction.APPOINTMENT_RESCHEDULED,
        AuditAction.APPOINTMENT_CANCELLED,
    ):
        row = AuditEvent.objects.get(action=action)
        assert row.details["consent"] == consent.pk, action
        assert row.details["access_point"] == mediator.access_point_id, action


def test_a_withdrawn_consent_stops_the_next_action(mediator, walk_in, site, procedure):
    first, second = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)
    consent = _give(mediator, walk_in)
    appointment = appointment_book(actor=mediator, applicant=walk_in, slot_id=first.pk)

    consent_withdraw(actor=mediator, consent=consent)

    with pytest.raises(errors.ConsentRequired):
        appointment_reschedule(actor=mediator, appointment=appointment, new_slot_id=second.pk)
    with pytest.raises(errors.ConsentRequired):
        appointment_cancel(actor=mediator, appointment=appointment)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.slot_id) == (AppointmentStatus.BOOKED, first.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (1, 0)


def test_an_expired_consent_stops_the_next_action(mediator, walk_in, slot):
    consent = _give(mediator, walk_in)
    Consent.objects.filter(pk=consent.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )

    with pytest.raises(errors.ConsentRequired):
        appointment_book(actor=mediator, applicant=walk_in, slot_id=slot.pk)


def test_agents_and_supervisors_need_no_consent(agent, supervisor, walk_in, site, procedure):
    first, second = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)
    booked = appointment_book(actor=agent, applicant=walk_in, slot_id=first.pk)
    appointment_reschedule(actor=supervisor, appointment=booked, new_slot_id=second.pk)

    assert booked.access_point_id is None


# --- Finding a person --------------------------------------------------------------------------


def test_people_are_found_by_document_number_and_birth_date_only(mediator, elsewhere):
    def find(number, born=elsewhere.birth_date, actor=mediator):
        return selectors.people_find(actor=actor, document_number=number, birth_date=born)

    number = elsewhere.document_number
    assert find(f" {number[:4]} {number[4:].lower()} ") == [elsewhere]
    assert find(number, born=date(1970, 1, 1)) == []
    assert find(number[:-1]) == []
    assert find(elsewhere.surname) == []
    assert find("") == []
    assert find("x" * 500) == []
    for actor in (factories.AgentFactory(), factories.UserFactory(role="supervisor")):
        assert find(number, actor=actor) == []
    assert find(number, actor=factories.MediatorFactory(access_point=None)) == []


def test_a_person_is_found_by_a_booking_reference_and_birth_date(mediator, elsewhere):
    reference = elsewhere.appointments.get().reference

    def find(ref, born=elsewhere.birth_date, actor=mediator):
        return selectors.person_by_reference(actor=actor, reference=ref, birth_date=born)

    assert find(reference.lower()) == elsewhere
    assert find(reference, born=date(1970, 1, 1)) is None
    assert find("NOPE2345") is None
    assert find("\x00") is None
    assert find(reference, actor=factories.AgentFactory()) is None


def test_a_mediator_does_not_see_another_points_people_until_they_consent(mediator, elsewhere):
    appointment = elsewhere.appointments.get()

    assert not Applicant.objects.filter(visible_applicants(mediator), pk=elsewhere.pk).exists()
    assert appointment not in appointments_for(mediator)
    assert not can_act_for(mediator, elsewhere, site_id=appointment.slot.site_id)

    [found] = selectors.people_find(
        actor=mediator, document_number=elsewhere.document_number, birth_date=elsewhere.birth_date
    )
    consent = _give(mediator, found)

    assert Applicant.objects.filter(visible_applicants(mediator), pk=elsewhere.pk).exists()
    assert appointment in appointments_for(mediator)
    assert can_act_for(mediator, elsewhere, site_id=appointment.slot.site_id)
    # Withdrawn, and nothing booked at the point: no longer theirs to see.
    consent_withdraw(actor=mediator, consent=consent)
    assert not Applicant.objects.filter(visible_applicants(mediator), pk=elsewhere.pk).exists()
    assert appointment not in appointments_for(mediator)


# --- Walk-ins --------------------------------------------------------------------------------


def test_a_walk_in_is_registered_at_the_mediators_point(mediator):
    person = walk_in_register(
        actor=mediator, identity=factories.identity(), phone="06 12 34 56 78", language="ar"
    )

    assert person.access_point_id == mediator.access_point_id
    assert person.user is None
    assert (person.phone, person.preferred_language) == ("+33612345678", "ar")
    row = AuditEvent.objects.get(action=AuditAction.IDENTITY_RECORDED)
    assert row.details["access_point"] == mediator.access_point_id


def test_an_identity_on_file_is_found_not_created_twice(mediator, elsewhere):
    identity = factories.identity(
        document_type=elsewhere.document_type,
        document_number=elsewhere.document_number,
        nationality=str(elsewhere.nationality),
    )

    with pytest.raises(booking_errors.IdentityTaken):
        walk_in_register(actor=mediator, identity=identity)

    assert Applicant.objects.filter(identity_key=elsewhere.identity_key).count() == 1


def test_only_mediators_register_walk_ins_here(agent):
    with pytest.raises(errors.MediatorOnly):
        walk_in_register(actor=agent, identity=factories.identity())
