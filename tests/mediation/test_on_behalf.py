"""Booking on someone's behalf: the access point and the opening-hours flag
recorded on the appointment, the rules a mediator's booking obeys, and the
applicant's own booking left as it was (no signal, no transaction)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from booking import errors as booking_errors
from booking import signals
from booking.models import Pool
from booking.permissions import visible_applicants
from booking.selectors import appointments_for
from booking.services import appointment_book
from mediation import selectors
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(mediator):
    walk_in = factories.ApplicantFactory(user=None, access_point=mediator.access_point)
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    return walk_in


def test_the_booking_records_the_mediators_point(mediator, person, slot):
    appointment = appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)

    appointment.refresh_from_db()
    assert appointment.access_point_id == mediator.access_point_id
    assert (appointment.booked_by, appointment.booked_by_role) == (mediator, "mediator")
    assert appointment.outside_opening_hours is False  # the point has no periods


def test_the_point_keeps_its_people_when_the_mediator_moves(mediator, person, slot):
    colleague = factories.MediatorFactory(access_point=mediator.access_point)
    helped = factories.ApplicantFactory(user=None)  # registered nowhere
    consent = factories.ConsentFactory(applicant=helped, mediator=mediator)
    appointment = appointment_book(actor=mediator, applicant=helped, slot_id=slot.pk)
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])

    mediator.access_point = factories.AccessPointFactory()
    mediator.save(update_fields=["access_point"])

    # Pinned on the booking: the point still sees them, the mediator no longer does.
    assert appointment in appointments_for(colleague)
    assert helped in type(helped).objects.filter(visible_applicants(colleague))
    assert appointment not in appointments_for(mediator)
    assert helped not in type(helped).objects.filter(visible_applicants(mediator))


def _today_period(point, *, inside: bool):
    """A period of the point that holds now (``inside``) or only another weekday."""
    weekday = timezone.localtime().weekday()
    factories.OpeningPeriodFactory(
        access_point=point,
        weekday=weekday if inside else (weekday + 1) % 7,
        opens=time(0, 0),
        closes=time(23, 59, 59),
    )


def test_a_booking_outside_the_points_opening_hours_is_flagged(mediator, person, slot):
    _today_period(mediator.access_point, inside=False)

    appointment = appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)

    appointment.refresh_from_db()
    assert appointment.outside_opening_hours is True


def test_a_booking_within_the_opening_hours_is_not_flagged(mediator, person, slot):
    _today_period(mediator.access_point, inside=True)

    appointment = appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)

    appointment.refresh_from_db()
    assert appointment.outside_opening_hours is False


def test_opening_periods_are_read_in_local_time(mediator):
    point = mediator.access_point
    factories.OpeningPeriodFactory(access_point=point, weekday=0, opens=time(9), closes=time(12))
    monday = timezone.make_aware(timezone.datetime(2026, 11, 30, 9, 0))  # Paris

    def outside(at):
        return selectors.is_outside_opening_hours(access_point_id=point.pk, at=at)

    assert not outside(monday)
    assert not outside(monday + timedelta(hours=2, minutes=59))
    assert outside(monday + timedelta(hours=3))  # closes at 12:00
    assert outside(monday - timedelta(minutes=1))
    assert outside(monday + timedelta(days=1))


def test_agents_bookings_carry_no_point_and_no_flag(agent, slot):
    walk_in = factories.ApplicantFactory(user=None)

    appointment = appointment_book(actor=agent, applicant=walk_in, slot_id=slot.pk)

    appointment.refresh_from_db()
    assert appointment.access_point_id is None
    assert appointment.outside_opening_hours is False


def test_a_mediator_books_the_mediation_pool_and_the_public_one_not_priority(
    mediator, person, site, procedure
):
    reserved = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.MEDIATION)
    priority = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)

    with pytest.raises(booking_errors.SlotNotFound):
        appointment_book(actor=mediator, applicant=person, slot_id=priority.pk)
    appointment = appointment_book(actor=mediator, applicant=person, slot_id=reserved.pk)

    assert appointment.slot_id == reserved.pk


def test_one_active_appointment_per_person_and_procedure_holds_for_mediators(
    mediator, person, site, procedure
):
    first, second = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)
    appointment_book(actor=mediator, applicant=person, slot_id=first.pk)

    with pytest.raises(booking_errors.AlreadyBooked):
        appointment_book(actor=mediator, applicant=person, slot_id=second.pk)


def test_the_identity_snapshot_is_taken_from_the_person(mediator, person, slot):
    appointment = appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)

    appointment.refresh_from_db()
    assert (appointment.identity_key, appointment.document_number) == (
        person.identity_key,
        person.document_number,
    )


def test_an_applicant_booking_sends_no_signal(applicant, slot):
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    signals.acting_for.connect(listener, sender=None, dispatch_uid="test.listener")
    try:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    finally:
        signals.acting_for.disconnect(dispatch_uid="test.listener")

    assert heard == []  # its query count is pinned by tests/api/test_hot_paths.py


def test_a_mediator_booking_is_one_transaction_with_its_cap(mediator, person, slot):
    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["event"], connection.in_atomic_block))

    signals.acting_for.connect(listener, sender=None, dispatch_uid="test.listener")
    try:
        appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)
    finally:
        signals.acting_for.disconnect(dispatch_uid="test.listener")

    assert heard == [(signals.BOOKED, True)]


def test_a_mediator_of_another_point_cannot_act_for_the_person(person, slot):
    stranger = factories.MediatorFactory()

    with pytest.raises(booking_errors.NotAllowed):
        appointment_book(actor=stranger, applicant=person, slot_id=slot.pk)
