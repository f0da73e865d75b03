"""The allocation and the answers under real concurrent transactions on
PostgreSQL (``tests.helpers.racing``): two or more allocation runs at once
offer every seat once and every entry at most one; an accept racing a closure
of its slot, a decline racing the expiry of the same offer, leave no seat
held or booked that should not be, and nothing deadlocks."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.db import IntegrityError
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from allocation import errors
from allocation.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.services import (
    offer_accept,
    offer_decline,
    offers_allocate,
    offers_expire_due,
    waitlist_join,
)
from booking.models import (
    ACTIVE_STATUSES,
    AllocationMode,
    AllocationPolicy,
    Appointment,
    AppointmentStatus,
    ClosureKind,
    Pool,
    Slot,
)
from booking.services import closure_create
from tests import factories
from tests.helpers.racing import kinds, race

pytestmark = pytest.mark.django_db(transaction=True)


def _world(*, people: int, slots: int, capacity: int, sites: int = 2):
    """People on the list (joined while nothing is free: no offer yet), then
    the list's slots spread over ``sites`` sites and several days."""
    site_rows = [factories.SiteFactory() for _ in range(sites)]
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    entries = []
    for _n in range(people):
        applicant = factories.ApplicantFactory()
        entries.append(
            waitlist_join(
                actor=applicant.user,
                applicant=applicant,
                procedure=procedure,
                site_ids=[site.pk for site in site_rows],
            )
        )
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    slot_rows = [
        factories.SlotFactory(
            site=site_rows[n % sites],
            procedure=procedure,
            pool=Pool.QUEUE,
            capacity=capacity,
            starts_at=start + timedelta(hours=n % 7, days=n // 7),
        )
        for n in range(slots)
    ]
    return procedure, entries, slot_rows


def _assert_no_leak(procedure) -> None:
    """Every slot: held = its open offers, booked = its active appointments,
    booked + held <= capacity; no entry with two open offers."""
    rows = Slot.objects.filter(procedure=procedure).annotate(
        open_offers=Count("offers", filter=Q(offers__status=OfferStatus.OPEN), distinct=True),
        active=Count(
            "appointments", filter=Q(appointments__status__in=ACTIVE_STATUSES), distinct=True
        ),
    )
    for slot in rows:
        assert slot.held == slot.open_offers, (
            f"slot {slot.pk}: {slot.held} held, {slot.open_offers} offers"
        )
        assert slot.booked == slot.active, f"slot {slot.pk}: {slot.booked} booked, {slot.active}"
        assert slot.booked + slot.held <= slot.capacity
    doubles = (
        Offer.objects.filter(status=OfferStatus.OPEN)
        .values("entry_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not doubles.exists()


@pytest.mark.parametrize("runs", [2, 3])
def test_allocation_runs_in_parallel_offer_every_seat_once(runs):
    procedure, entries, slots = _world(people=60, slots=14, capacity=3)
    seats = sum(slot.capacity for slot in slots)  # 42 seats for 60 people

    outcomes = race([partial(offers_allocate, procedure_id=procedure.pk) for _ in range(runs)])

    assert not [o for o in outcomes if isinstance(o, BaseException)], kinds(outcomes)
    made = [offer for outcome in outcomes for offer in outcome]
    # One run offered everything; the others, serialised behind it, found nothing free.
    assert len(made) == seats
    assert sorted(len(outcome) for outcome in outcomes) == [0] * (runs - 1) + [seats]
    assert len({offer.entry_id for offer in made}) == seats
    assert Offer.objects.filter(status=OfferStatus.OPEN).count() == seats
    # Taken in the list's order: the first people who fit.
    assert {offer.entry_id for offer in made} == {entry.pk for entry in entries[:seats]}
    _assert_no_leak(procedure)
    assert not Slot.objects.filter(procedure=procedure, held__lt=F("capacity")).exists()


def test_without_its_locks_the_allocation_fails_loudly_never_offers_twice(monkeypatch):
    """The guard of the guard: with the advisory lock and the row locks taken
    away, overlapping runs may read the same free seats and the same entries;
    the database (the CHECK through the conditional hold, the unique open offer
    per entry) then refuses the second writer with an error, never a seat
    offered twice nor a count gone wrong."""
    from allocation.services import allocate as allocate_module

    monkeypatch.setattr(allocate_module, "_lock_procedure", lambda procedure_id: None)
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)
    procedure, _entries, slots = _world(people=60, slots=14, capacity=3)

    failures = Counter()
    for _round in range(3):
        outcomes = race([partial(offers_allocate, procedure_id=procedure.pk) for _ in range(3)])
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                # Loud: the hold refused ("a locked slot refused its holds") or
                # the second open offer of an entry refused by its unique index.
                assert isinstance(outcome, RuntimeError | IntegrityError), repr(outcome)
                failures[type(outcome).__name__] += 1
        _assert_no_leak(procedure)
    seats = sum(slot.capacity for slot in slots)
    assert Offer.objects.filter(status=OfferStatus.OPEN).count() == seats
    print("runs refused by the database:", dict(failures))


@pytest.mark.parametrize("round_", range(3))
def test_an_accept_racing_a_closure_of_its_slot_leaves_nothing_behind(round_):
    procedure, _entries, [slot] = _world(people=2, slots=1, capacity=1)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    person = offer.applicant
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)

    accepted, closure = race(
        [
            partial(offer_accept, actor=person.user, offer=offer.pk),
            partial(
                closure_create,
                actor=supervisor,
                site=slot.site,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                kind=ClosureKind.OUTAGE,
                reason="Panne du réseau",
            ),
        ]
    )

    assert not isinstance(closure, BaseException), repr(closure)
    offer.refresh_from_db()
    slot.refresh_from_db()
    if isinstance(accepted, Appointment):
        # Accepted first: the closure cancelled the appointment it had become.
        assert offer.status == OfferStatus.ACCEPTED
        accepted.refresh_from_db()
        assert accepted.status == AppointmentStatus.CANCELLED
    else:
        # Closed first: the offer was withdrawn, the accept refused in the domain's words.
        assert isinstance(accepted, errors.OfferNotOpen), repr(accepted)
        assert offer.status == OfferStatus.WITHDRAWN
    assert (slot.capacity, slot.booked, slot.held) == (0, 0, 0)
    assert slot.closure_id == closure.pk
    assert not Offer.objects.filter(status=OfferStatus.OPEN).exists()
    _assert_no_leak(procedure)


@pytest.mark.parametrize("round_", range(3))
def test_a_decline_racing_the_expiry_of_the_same_offer_ends_it_once(round_):
    procedure, entries, [slot] = _world(people=2, slots=1, capacity=1)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    # Still open for the person's decline; past its moment for the expiry's clock.
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() + timedelta(seconds=30))
    later = timezone.now() + timedelta(minutes=1)

    declined, expired = race(
        [
            partial(offer_decline, actor=offer.applicant.user, offer=offer.pk),
            partial(offers_expire_due, now=later),
        ]
    )

    offer.refresh_from_db()
    entry = WaitlistEntry.objects.get(pk=offer.entry_id)
    if isinstance(declined, Offer):
        assert expired == 0
        assert offer.status == OfferStatus.DECLINED
        assert (entry.declines, entry.expiries) == (1, 0)
    else:
        assert isinstance(declined, errors.OfferNotOpen), repr(declined)
        assert expired == 1
        assert offer.status == OfferStatus.EXPIRED
        assert (entry.declines, entry.expiries) == (0, 1)
    assert entry.status == EntryStatus.WAITING
    # The seat went to the next person once (the allocation after the commit).
    [again] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (again.slot_id, again.entry_id) == (slot.pk, entries[1].pk)
    slot.refresh_from_db()
    assert (slot.booked, slot.held) == (0, 1)
    _assert_no_leak(procedure)


@pytest.mark.parametrize("round_", range(3))
def test_an_accept_racing_the_expiry_of_the_same_offer_ends_it_once(round_):
    """The accept locks the slot, the entry and the offer in one statement
    (``allocation.statements``), in the order the expiry takes them: one of the
    two ends the offer, the other finds it ended, nothing deadlocks."""
    procedure, entries, [slot] = _world(people=2, slots=1, capacity=1)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() + timedelta(seconds=30))
    later = timezone.now() + timedelta(minutes=1)

    accepted, expired = race(
        [
            partial(offer_accept, actor=offer.applicant.user, offer=offer.pk),
            partial(offers_expire_due, now=later),
        ]
    )

    offer.refresh_from_db()
    entry = WaitlistEntry.objects.get(pk=offer.entry_id)
    slot.refresh_from_db()
    if isinstance(accepted, Appointment):
        assert expired == 0
        assert offer.status == OfferStatus.ACCEPTED
        assert offer.appointment_id == accepted.pk
        assert (entry.status, entry.appointment_id) == (EntryStatus.SERVED, accepted.pk)
        assert (slot.booked, slot.held) == (1, 0)
    else:
        assert isinstance(accepted, errors.OfferNotOpen), repr(accepted)
        assert expired == 1
        assert offer.status == OfferStatus.EXPIRED
        assert entry.status == EntryStatus.WAITING
        # The seat went on to the next person.
        [again] = Offer.objects.filter(status=OfferStatus.OPEN)
        assert again.entry_id == entries[1].pk
        assert (slot.booked, slot.held) == (0, 1)
    _assert_no_leak(procedure)
