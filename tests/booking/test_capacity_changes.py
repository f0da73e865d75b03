"""Capacity in the back office: the preview of a publication (what
``slots_publish`` then creates, nothing written, the clashes), a slot's
capacity changed (never below what is booked, also under concurrent
bookings), free counters moved between pools."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from functools import partial
from time import sleep

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import availability_cache, errors
from booking.models import Appointment, AppointmentStatus, Pool, Publication, Slot
from booking.services import (
    OpeningRange,
    appointment_book,
    publication_preview,
    slot_capacity_change,
    slot_counters_move,
    slots_publish,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _parameters(**overrides) -> dict:
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday() + 7)
    parameters = {
        "date_from": monday,
        "date_to": monday + timedelta(days=6),
        "weekdays": [0, 1, 2, 3, 4],
        "opening_ranges": [OpeningRange(time(9), time(10)), OpeningRange(time(14), time(15))],
        "slot_minutes": 20,
        "counters": 4,
        "mediation_counters": 1,
        "priority_counters": 1,
    }
    parameters.update(overrides)
    return parameters


def _created_per_day_and_pool(publication: Publication) -> Counter:
    return Counter(
        (timezone.localdate(starts_at), pool, capacity)
        for starts_at, pool, capacity in Slot.objects.filter(publication=publication).values_list(
            "starts_at", "pool", "capacity"
        )
    )


def _previewed_per_day_and_pool(preview) -> Counter:
    seats_of = dict(preview.plan.pools)
    counts: Counter = Counter()
    for day in preview.days:
        for pool, (slots, seats) in day.pools.items():
            assert seats == slots * seats_of[pool]
            counts[day.day, pool, seats_of[pool]] += slots
    return counts


def _state() -> tuple:
    return (
        list(Slot.objects.order_by("pk").values_list("pk", "capacity", "booked")),
        Publication.objects.count(),
        AuditEvent.objects.count(),
    )


# --- The preview ------------------------------------------------------------------------------


def test_the_preview_is_what_publishing_then_creates_and_writes_nothing(agent, site, procedure):
    before = _state()

    preview = publication_preview(actor=agent, site=site, procedure=procedure, **_parameters())

    assert _state() == before
    # 5 weekdays x 2 ranges x 3 slots of 20 minutes; pools public 2, mediation 1, priority 1
    assert (preview.times, preview.slots, preview.seats) == (30, 90, 120)
    assert preview.pool_totals() == {
        "public": (30, 60),
        "mediation": (30, 30),
        "priority": (30, 30),
    }
    assert len(preview.days) == 5 and preview.clashes == 0
    result = slots_publish(actor=agent, site=site, procedure=procedure, **_parameters())
    assert result.created == preview.slots
    assert result.publication.seats_created == preview.seats
    assert _created_per_day_and_pool(result.publication) == _previewed_per_day_and_pool(preview)


def test_the_preview_reports_the_times_that_already_have_slots(agent, site, procedure):
    parameters = _parameters()
    tuesday = parameters["date_from"] + timedelta(days=1)
    slots_publish(
        actor=agent,
        site=site,
        procedure=procedure,
        **_parameters(
            date_from=tuesday, date_to=tuesday, opening_ranges=[OpeningRange(time(9), time(10))]
        ),
    )

    preview = publication_preview(actor=agent, site=site, procedure=procedure, **parameters)

    assert preview.clashes == 3
    assert preview.clash_days == [tuesday]
    (day,) = [d for d in preview.days if d.day == tuesday]
    assert day.clashes == 3 and day.slots == 3 * 3  # the afternoon only, three pools
    result = slots_publish(actor=agent, site=site, procedure=procedure, **parameters)
    assert result.created == preview.slots
    assert result.skipped == 3 * 3


def test_the_preview_reports_new_times_that_overlap_slots_of_another_length(agent, site, procedure):
    monday = _parameters()["date_from"]
    slots_publish(
        actor=agent,
        site=site,
        procedure=procedure,
        **_parameters(
            date_to=monday, opening_ranges=[OpeningRange(time(9), time(10))], slot_minutes=30
        ),
    )

    preview = publication_preview(
        actor=agent,
        site=site,
        procedure=procedure,
        **_parameters(date_to=monday, opening_ranges=[OpeningRange(time(9), time(11))]),
    )

    # 20-minute times 9:00 (same start), 9:20, 9:40 (overlap 9:00-9:30, 9:30-10:00), 10:00...
    assert (preview.clashes, preview.overlaps) == (1, 2)
    assert preview.overlap_days == [monday]


def test_the_preview_reads_the_clashes_in_one_query(agent, site, procedure):
    slots_publish(actor=agent, site=site, procedure=procedure, **_parameters())
    agent = type(agent).objects.get(pk=agent.pk)

    with CaptureQueriesContext(connection) as queries:
        publication_preview(
            actor=agent,
            site=site,
            procedure=procedure,
            **_parameters(date_to=_parameters()["date_from"] + timedelta(days=90)),
        )

    # The agent's site, the procedure's allocation mode (the pool of the public
    # counters), the slots already there.
    assert len(queries) == 3


def test_the_preview_refuses_what_publishing_refuses(agent, other_agent, site, procedure):
    with pytest.raises(errors.NotAllowed):
        publication_preview(actor=other_agent, site=site, procedure=procedure, **_parameters())
    with pytest.raises(errors.InvalidPublication):
        publication_preview(
            actor=agent, site=site, procedure=procedure, **_parameters(mediation_counters=4)
        )


# --- A slot's capacity ------------------------------------------------------------------------


def _book(slot: Slot, count: int) -> None:
    for _ in range(count):
        person = factories.ApplicantFactory()
        appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)


def test_reducing_a_slot_s_capacity_is_audited_and_tells_availability(
    agent, slot, monkeypatch, django_capture_on_commit_callbacks
):
    told = []
    monkeypatch.setattr(availability_cache, "capacity_changed", told.append)
    _book(slot, 1)

    changed = slot_capacity_change(actor=agent, slot=slot, capacity=1)

    slot.refresh_from_db()
    assert (changed.capacity, slot.capacity, slot.booked) == (1, 1, 1)
    assert told[-1] == [slot.procedure.slug]
    row = AuditEvent.objects.get(action=AuditAction.SLOT_CAPACITY_CHANGED)
    assert row.actor_id == agent.pk
    assert (row.details["slot"], row.details["capacity_before"], row.details["capacity_after"]) == (
        slot.pk,
        3,
        1,
    )


def test_a_capacity_never_goes_below_what_is_booked(agent, slot):
    _book(slot, 2)

    with pytest.raises(errors.CapacityBelowBooked) as refused:
        slot_capacity_change(actor=agent, slot=slot, capacity=1)

    assert "2" in refused.value.detail
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (3, 2)
    assert not AuditEvent.objects.filter(action=AuditAction.SLOT_CAPACITY_CHANGED).exists()


@pytest.mark.parametrize("capacity", [-1, 201, "2", None, True])
def test_a_capacity_out_of_range_is_refused(agent, slot, capacity):
    with pytest.raises(errors.InvalidCapacityChange):
        slot_capacity_change(actor=agent, slot=slot, capacity=capacity)


def test_an_agent_of_another_site_cannot_change_a_slot_which_answers_as_missing(
    other_agent, supervisor, slot
):
    with pytest.raises(errors.SlotNotFound):
        slot_capacity_change(actor=other_agent, slot=slot, capacity=1)
    with pytest.raises(errors.SlotNotFound):
        slot_capacity_change(actor=other_agent, slot=999_999, capacity=1)
    slot.refresh_from_db()
    assert slot.capacity == 3

    slot_capacity_change(actor=supervisor, slot=slot, capacity=5)  # all sites

    slot.refresh_from_db()
    assert slot.capacity == 5


def test_a_slot_already_started_keeps_its_capacity(agent, site, procedure):
    started = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=timezone.now() - timedelta(minutes=5)
    )

    with pytest.raises(errors.SlotInPast):
        slot_capacity_change(actor=agent, slot=started, capacity=1)


# --- Moving counters --------------------------------------------------------------------------


def _move(actor, slot, **changes):
    arguments = {
        "actor": actor,
        "site": slot.site,
        "procedure": slot.procedure,
        "starts_at": slot.starts_at,
        "from_pool": Pool.PUBLIC,
        "to_pool": Pool.PRIORITY,
        "count": 1,
    }
    arguments.update(changes)
    return slot_counters_move(**arguments)


def test_moving_counters_creates_the_destination_pool_s_slot(agent, slot):
    moved = _move(agent, slot, count=2)

    assert moved.created
    slot.refresh_from_db()
    priority = Slot.objects.get(starts_at=slot.starts_at, pool=Pool.PRIORITY)
    assert (slot.capacity, priority.capacity, priority.booked) == (1, 2, 0)
    assert (priority.ends_at, priority.published_at) == (slot.ends_at, slot.published_at)
    row = AuditEvent.objects.get(action=AuditAction.SLOT_COUNTERS_MOVED)
    assert (row.details["from_pool"], row.details["to_pool"], row.details["count"]) == (
        "public",
        "priority",
        2,
    )

    back = _move(agent, slot, from_pool=Pool.PRIORITY, to_pool=Pool.PUBLIC, count=2)

    assert not back.created
    slot.refresh_from_db()
    priority.refresh_from_db()
    assert (slot.capacity, priority.capacity) == (3, 0)


def test_moving_counters_never_takes_booked_seats(agent, slot):
    _book(slot, 2)

    with pytest.raises(errors.NotEnoughFreeCounters) as refused:
        _move(agent, slot, count=2)

    assert "1" in refused.value.detail
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (3, 2)
    assert not Slot.objects.filter(pool=Pool.PRIORITY).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.SLOT_COUNTERS_MOVED).exists()
    _move(agent, slot, count=1)
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (2, 2)


@pytest.mark.parametrize(
    "changes",
    [
        {"to_pool": Pool.PUBLIC},
        {"to_pool": "vip"},
        {"count": 0},
        {"count": 201},
    ],
)
def test_a_bad_move_is_refused(agent, slot, changes):
    with pytest.raises(errors.InvalidCapacityChange):
        _move(agent, slot, **changes)
    slot.refresh_from_db()
    assert slot.capacity == 3


def test_moving_from_a_pool_without_a_slot_or_at_another_site_answers_as_missing(
    agent, other_agent, slot
):
    with pytest.raises(errors.SlotNotFound):
        _move(agent, slot, from_pool=Pool.MEDIATION)
    with pytest.raises(errors.SlotNotFound):
        _move(other_agent, slot)
    slot.refresh_from_db()
    assert slot.capacity == 3


# --- Under concurrent bookings (real transactions) --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_capacity_change_racing_a_booking_never_goes_below_booked(site, procedure):
    from tests.helpers.racing import race

    agent = factories.AgentFactory(sites=[site])
    for _round in range(8):
        slot = factories.SlotFactory(site=site, procedure=procedure, capacity=3)
        _book(slot, 2)
        person = factories.ApplicantFactory()

        outcomes = race(
            [
                partial(appointment_book, actor=person.user, applicant=person, slot_id=slot.pk),
                partial(slot_capacity_change, actor=agent, slot=slot.pk, capacity=2),
            ]
        )

        booked, reduced = outcomes
        # Exactly one of the two: the third seat taken, or the capacity at 2.
        assert isinstance(booked, Appointment) != isinstance(reduced, Slot), outcomes
        assert isinstance(booked, Appointment | errors.SlotFull)
        assert isinstance(reduced, Slot | errors.CapacityBelowBooked)
        slot.refresh_from_db()
        active = slot.appointments.filter(status=AppointmentStatus.BOOKED).count()
        assert slot.booked == active <= slot.capacity


@pytest.mark.django_db(transaction=True)
def test_a_capacity_cut_racing_several_bookings_keeps_every_booked_seat(site, procedure):
    from tests.helpers.racing import race

    agent = factories.AgentFactory(sites=[site])

    def cut_after(delay: float, slot_id: int):
        sleep(delay)  # from before the first booking to after the last
        return slot_capacity_change(actor=agent, slot=slot_id, capacity=2)

    for delay in (0, 0.02, 0.05, 0.1, 0.2, 0.4):
        slot = factories.SlotFactory(site=site, procedure=procedure, capacity=6)
        people = factories.ApplicantFactory.create_batch(5)

        outcomes = race(
            [
                *(
                    partial(appointment_book, actor=p.user, applicant=p, slot_id=slot.pk)
                    for p in people
                ),
                partial(cut_after, delay, slot.pk),
            ]
        )

        *bookings, cut = outcomes
        assert all(isinstance(o, Appointment | errors.SlotFull) for o in bookings), outcomes
        assert isinstance(cut, Slot | errors.CapacityBelowBooked), outcomes
        slot.refresh_from_db()
        booked = sum(isinstance(o, Appointment) for o in bookings)
        assert slot.booked == booked == slot.appointments.count() <= slot.capacity
        assert slot.capacity == (2 if isinstance(cut, Slot) else 6)


@pytest.mark.django_db(transaction=True)
def test_moving_counters_racing_bookings_never_moves_a_booked_seat(site, procedure):
    from tests.helpers.racing import race

    agent = factories.AgentFactory(sites=[site])
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=4)
    people = factories.ApplicantFactory.create_batch(4)
    moves = [
        partial(
            slot_counters_move,
            actor=agent,
            site=site,
            procedure=procedure,
            starts_at=slot.starts_at,
            from_pool=Pool.PUBLIC,
            to_pool=Pool.PRIORITY,
            count=1,
        )
        for _ in range(3)
    ]

    outcomes = race(
        [partial(appointment_book, actor=p.user, applicant=p, slot_id=slot.pk) for p in people]
        + moves
    )

    booked = sum(isinstance(o, Appointment) for o in outcomes)
    moved = sum(not isinstance(o, Exception) and not isinstance(o, Appointment) for o in outcomes)
    assert booked + moved == 4, outcomes
    assert all(
        isinstance(o, Appointment | errors.SlotFull | errors.NotEnoughFreeCounters)
        or not isinstance(o, Exception)
        for o in outcomes
    ), outcomes
    slot.refresh_from_db()
    priority = Slot.objects.filter(starts_at=slot.starts_at, pool=Pool.PRIORITY).first()
    assert slot.booked == booked == slot.appointments.count()
    assert slot.capacity == 4 - moved
    assert (priority.capacity if priority else 0) == moved


def test_the_moment_of_a_day_is_local(agent, site, procedure):
    """A slot's day in the preview is its local day (Europe/Paris), not UTC's."""
    monday = _parameters()["date_from"]
    preview = publication_preview(
        actor=agent,
        site=site,
        procedure=procedure,
        **_parameters(date_to=monday, opening_ranges=[OpeningRange(time(0), time(1))]),
    )
    assert [day.day for day in preview.days] == [monday]
    assert all(timezone.localtime(start).date() == monday for start, _end in preview.plan.times)
    assert isinstance(preview.plan.times[0][0], datetime)
