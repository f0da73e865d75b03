"""The daily caps of mediator bookings: per mediator and per access point,
held under real concurrent transactions, raised for one day by a supervisor."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import errors as booking_errors
from booking.models import Appointment
from booking.services import appointment_book, appointment_cancel
from mediation import errors, selectors
from mediation.models import CapRaise, MediatorDayCount, PointDayCount
from mediation.services import cap_raise, daily_caps_claim
from tests import factories
from tests.helpers.racing import kinds, race


def _people(mediator, count: int) -> list:
    """``count`` walk-ins of the mediator's point, each with their consent."""
    people = factories.ApplicantFactory.create_batch(
        count, user=None, access_point=mediator.access_point
    )
    for person in people:
        factories.ConsentFactory(applicant=person, mediator=mediator)
    return people


def _counts(mediator) -> tuple[int, int]:
    today = timezone.localdate()
    point = PointDayCount.objects.filter(access_point=mediator.access_point, day=today).first()
    own = MediatorDayCount.objects.filter(mediator=mediator, day=today).first()
    return (point.booked if point else 0, own.booked if own else 0)


# --- One at a time ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_mediator_books_up_to_their_cap_then_is_refused(mediator, settings, site, procedure):
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 2
    people = _people(mediator, 3)
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=10)

    for person in people[:2]:
        appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)
    with pytest.raises(errors.DailyCapReached) as refused:
        appointment_book(actor=mediator, applicant=people[2], slot_id=slot.pk)

    assert refused.value.code == "daily_cap_reached"
    slot.refresh_from_db()
    assert slot.booked == 2
    assert Appointment.objects.count() == 2
    assert _counts(mediator) == (2, 2)


@pytest.mark.django_db
def test_the_point_cap_counts_all_its_mediators(mediator, settings, site, procedure):
    settings.MEDIATION_DAILY_CAP_PER_POINT = 3
    colleague = factories.MediatorFactory(access_point=mediator.access_point)
    people = _people(mediator, 4)
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=10)

    for actor, person in zip([mediator, colleague, mediator], people, strict=False):
        appointment_book(actor=actor, applicant=person, slot_id=slot.pk)
    with pytest.raises(errors.DailyCapReached):
        appointment_book(actor=colleague, applicant=people[3], slot_id=slot.pk)

    assert Appointment.objects.count() == 3
    # Another point's mediators are not held by it.
    other = factories.MediatorFactory()
    appointment_book(actor=other, applicant=_people(other, 1)[0], slot_id=slot.pk)


@pytest.mark.django_db
def test_a_refused_booking_takes_nothing_of_the_cap(mediator, site, procedure):
    [person] = _people(mediator, 1)
    full = factories.SlotFactory(site=site, procedure=procedure, capacity=1, booked=1)
    slot = factories.SlotFactory(site=site, procedure=procedure)
    appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)

    with pytest.raises(booking_errors.SlotFull):
        appointment_book(actor=mediator, applicant=_people(mediator, 1)[0], slot_id=full.pk)
    with pytest.raises(booking_errors.AlreadyBooked):  # one per person and procedure
        appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)

    assert _counts(mediator) == (1, 1)


@pytest.mark.django_db
def test_a_cancellation_gives_nothing_back(mediator, settings, site, procedure):
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 1
    first, second = _people(mediator, 2)
    slot = factories.SlotFactory(site=site, procedure=procedure)
    appointment = appointment_book(actor=mediator, applicant=first, slot_id=slot.pk)

    appointment_cancel(actor=mediator, appointment=appointment)

    with pytest.raises(errors.DailyCapReached):
        appointment_book(actor=mediator, applicant=second, slot_id=slot.pk)


@pytest.mark.django_db
def test_a_cap_of_zero_refuses_the_first_booking(mediator, settings, slot):
    settings.MEDIATION_DAILY_CAP_PER_POINT = 0

    with pytest.raises(errors.DailyCapReached):
        appointment_book(actor=mediator, applicant=_people(mediator, 1)[0], slot_id=slot.pk)

    assert not PointDayCount.objects.exists()


# --- Raises --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_supervisors_raise_lifts_the_cap_for_that_day_only(
    mediator, supervisor, settings, site, procedure
):
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 1
    people = _people(mediator, 3)
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=10)
    today = timezone.localdate()
    appointment_book(actor=mediator, applicant=people[0], slot_id=slot.pk)

    raised = cap_raise(
        actor=supervisor,
        access_point=mediator.access_point,
        mediator=mediator,
        day=today,
        extra=1,
        reason="Session collective du jeudi",
    )

    appointment_book(actor=mediator, applicant=people[1], slot_id=slot.pk)
    with pytest.raises(errors.DailyCapReached):
        appointment_book(actor=mediator, applicant=people[2], slot_id=slot.pk)
    row = AuditEvent.objects.get(action=AuditAction.CAP_RAISED)
    assert row.actor_id == supervisor.pk
    assert row.details == {
        "access_point": mediator.access_point_id,
        "cap_raise": raised.pk,
        "mediator": mediator.pk,
        "day": today.isoformat(),
        "extra": 1,
        "reason": "Session collective du jeudi",
    }
    # Tomorrow the cap is the setting again.
    tomorrow = today + timedelta(days=1)
    assert selectors.mediator_cap(mediator_id=mediator.pk, day=tomorrow) == 1
    assert selectors.mediator_cap(mediator_id=mediator.pk, day=today) == 2
    with transaction.atomic():
        daily_caps_claim(mediator=mediator, access_point_id=mediator.access_point_id, day=tomorrow)
        with pytest.raises(errors.DailyCapReached):
            daily_caps_claim(
                mediator=mediator, access_point_id=mediator.access_point_id, day=tomorrow
            )


@pytest.mark.django_db
def test_a_raise_of_the_point_lifts_the_point_not_the_mediators(mediator, supervisor, settings):
    settings.MEDIATION_DAILY_CAP_PER_POINT = 1
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 5
    today = timezone.localdate()
    point = mediator.access_point
    cap_raise(actor=supervisor, access_point=point, day=today, extra=2, reason="Forum emploi")

    usage = selectors.day_usage(access_point=point, day=today)

    assert usage["point"] == {"count": 0, "cap": 3}
    assert usage["mediators"] == [{"mediator": mediator, "count": 0, "cap": 5}]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["mediator", "agent", "applicant"])
def test_only_supervisors_raise_a_cap(request, role, mediator):
    actor = {
        "mediator": lambda: mediator,
        "agent": lambda: request.getfixturevalue("agent"),
        "applicant": lambda: request.getfixturevalue("applicant").user,
    }[role]()

    with pytest.raises(errors.CapRaiseNotAllowed):
        cap_raise(
            actor=actor,
            access_point=mediator.access_point,
            day=timezone.localdate(),
            extra=5,
            reason="Je le vaux bien",
        )

    assert not CapRaise.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CAP_RAISED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"day": "yesterday"},
        {"extra": 0},
        {"extra": 10_000},
        {"extra": True},
        {"reason": "   "},
        {"mediator": "of another point"},
    ],
)
def test_a_bad_raise_is_refused(mediator, supervisor, changes):
    arguments = {
        "access_point": mediator.access_point,
        "mediator": None,
        "day": timezone.localdate(),
        "extra": 3,
        "reason": "Atelier",
        **changes,
    }
    if arguments["day"] == "yesterday":
        arguments["day"] = timezone.localdate() - timedelta(days=1)
    if arguments["mediator"] == "of another point":
        arguments["mediator"] = factories.MediatorFactory()

    with pytest.raises(errors.InvalidCapRaise):
        cap_raise(actor=supervisor, **arguments)

    assert not CapRaise.objects.exists()


# --- Under concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_mediators_cap_holds_under_twenty_concurrent_bookings(settings, site, procedure):
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 5
    mediator = factories.MediatorFactory()
    people = _people(mediator, 20)
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=30)

    outcomes = race(
        [
            partial(appointment_book, actor=mediator, applicant=person, slot_id=slot.pk)
            for person in people
        ]
    )

    assert kinds(outcomes) == {"Appointment": 5, "DailyCapReached": 15}
    slot.refresh_from_db()
    assert slot.booked == 5 == Appointment.objects.count()
    assert _counts(mediator) == (5, 5)


@pytest.mark.django_db(transaction=True)
def test_the_points_cap_holds_under_twenty_concurrent_bookings_by_its_mediators(
    settings, site, procedure
):
    settings.MEDIATION_DAILY_CAP_PER_POINT = 7
    settings.MEDIATION_DAILY_CAP_PER_MEDIATOR = 20
    first = factories.MediatorFactory()
    mediators = [first] + [
        factories.MediatorFactory(access_point=first.access_point) for _ in "abc"
    ]
    people = _people(first, 20)
    slots = factories.SlotFactory.create_batch(2, site=site, procedure=procedure, capacity=30)

    outcomes = race(
        [
            partial(
                appointment_book,
                actor=mediators[i % 4],
                applicant=person,
                slot_id=slots[i % 2].pk,
            )
            for i, person in enumerate(people)
        ]
    )

    assert kinds(outcomes) == {"Appointment": 7, "DailyCapReached": 13}
    assert Appointment.objects.filter(access_point=first.access_point).count() == 7
    assert sum(PointDayCount.objects.values_list("booked", flat=True)) == 7
    assert sum(MediatorDayCount.objects.values_list("booked", flat=True)) == 7
