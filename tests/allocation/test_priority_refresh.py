"""A person's priority class follows the facts while they wait, not only when
they joined: a court order recorded moves their entry ahead, serving it moves
it back, opening it again ahead again; a closure's priority right moves them up
while it holds (the beat's sweep notices when it expires:
``test_priority_sweep.py``); a closure of a procedure given out by its list
puts the people it cancelled back on the list, after the court orders and
before everyone else, and the next allocation offers to them first. Every
change is audited; other procedures' entries stay."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from allocation.models import EntryStatus, Offer, OfferStatus, PriorityClass, WaitlistEntry
from allocation.services import (
    offer_accept,
    offers_allocate,
    waitlist_entry_permit_set,
)
from audit.models import AuditAction, AuditEvent
from booking.models import (
    AllocationMode,
    AllocationPolicy,
    ClosureKind,
    Pool,
    PriorityRight,
)
from booking.services import appointment_book, appointment_cancel, closure_create
from booking.services.injunctions import injunction_convoke
from notifications.models import Message
from tests import factories
from tests.allocation.conftest import person, queue_slot
from tests.helpers.injunctions import record, slot_on, today
from tests.helpers.priority_classes import join_at_site, places, reclassified, right_given

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(site):
    return factories.AgentFactory(sites=[site])


def _close(actor, site, slot, procedure=None):
    return closure_create(
        actor=actor,
        site=site,
        procedure=procedure,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind=ClosureKind.STRIKE,
        reason="Grève",
    )


def _served_by_the_list(applicant, procedure, site):
    """``applicant`` joined alone, was offered a seat of the list and took it."""
    join_at_site(applicant, procedure, site)
    slot = queue_slot(site, procedure, days=4)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    return offer_accept(actor=applicant.user, offer=offer.pk), slot


# --- Court orders ----------------------------------------------------------------------


def test_a_court_order_recorded_after_joining_moves_the_entry_ahead(site, procedure, people, agent):
    entries = [join_at_site(p, procedure, site) for p in people[:3]]
    assert places(entries) == [1, 2, 3]

    order = record(agent, people[2], procedure, site)

    assert places(entries) == [2, 3, 1]
    assert entries[2].priority_class == PriorityClass.COURT_ORDER
    # Its place within the class is still the moment it joined.
    assert entries[2].queued_at < timezone.now()
    assert reclassified(entries[2]) == [
        (PriorityClass.NONE, PriorityClass.COURT_ORDER, "injunction_recorded")
    ]
    [event] = AuditEvent.objects.filter(action=AuditAction.WAITLIST_RECLASSIFIED)
    assert (event.actor_id, event.applicant_id, event.details["injunction"]) == (
        agent.pk,
        people[2].pk,
        order.pk,
    )
    queue_slot(site, procedure)

    [offer] = offers_allocate(procedure_id=procedure.pk)

    assert offer.entry_id == entries[2].pk


def test_serving_the_court_order_moves_it_back_and_cancelling_ahead_again(
    site, procedure, people, agent
):
    entries = [join_at_site(p, procedure, site) for p in people[:3]]
    order = record(agent, people[2], procedure, site)
    assert places(entries) == [2, 3, 1]

    served = injunction_convoke(
        actor=agent,
        injunction=order,
        slot_id=slot_on(site, procedure, today() + timedelta(days=5)).pk,
    )

    assert places(entries) == [1, 2, 3]
    assert entries[2].priority_class == PriorityClass.NONE

    appointment_cancel(actor=agent, appointment=served.appointment)

    assert places(entries) == [2, 3, 1]
    assert [reason for *_classes, reason in reclassified(entries[2])] == [
        "injunction_recorded",
        "injunction_served",
        "injunction_reopened",
    ]


def test_an_entry_of_another_procedure_is_not_touched(site, procedure, people, agent):
    other = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=other, mode=AllocationMode.QUEUE)
    here = join_at_site(people[0], procedure, site)
    there = join_at_site(people[0], other, site)

    record(agent, people[0], procedure, site)

    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.priority_class, there.priority_class) == (
        PriorityClass.COURT_ORDER,
        PriorityClass.NONE,
    )
    assert reclassified(there) == []


def test_a_court_order_for_someone_not_waiting_writes_nothing_on_the_list(
    site, procedure, people, agent
):
    record(agent, people[0], procedure, site)

    assert not WaitlistEntry.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.WAITLIST_RECLASSIFIED).exists()


# --- Closures --------------------------------------------------------------------------


def test_a_closure_puts_the_person_back_at_the_head_after_the_court_orders(
    site, procedure, people, agent, supervisor
):
    cancelled_person = people[4]
    appointment, closed_slot = _served_by_the_list(cancelled_person, procedure, site)
    waiting = [join_at_site(p, procedure, site) for p in people[:3]]
    court = join_at_site(people[3], procedure, site)
    record(agent, people[3], procedure, site)

    closure = _close(supervisor, site, closed_slot)

    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    placed = WaitlistEntry.objects.get(applicant=cancelled_person, status=EntryStatus.WAITING)
    assert placed.priority_class == PriorityClass.CANCELLED_BY_PREFECTURE
    assert (placed.site_ids, placed.weekdays_excluded) == ([site.pk], [])
    assert places([court, placed, *waiting]) == [1, 2, 3, 4, 5]
    [joined] = AuditEvent.objects.filter(
        action=AuditAction.WAITLIST_JOINED, details__entry=placed.pk
    )
    assert joined.actor_id == supervisor.pk
    assert (joined.details["by"], joined.details["closure"], joined.details["appointment"]) == (
        "closure",
        closure.pk,
        appointment.pk,
    )
    # Told by every channel they have (an account holder: SMS and e-mail).
    assert set(
        Message.objects.filter(
            template_key="waitlist_placed", applicant=cancelled_person
        ).values_list("channel", flat=True)
    ) == {"sms", "email"}

    queue_slot(site, procedure, days=5, capacity=2)
    offers = offers_allocate(procedure_id=procedure.pk)

    assert [o.entry_id for o in offers] == [court.pk, placed.pk]


def test_the_person_put_back_may_decline_like_anyone(site, procedure, people, supervisor):
    from allocation.services import offer_decline

    cancelled_person = people[0]
    _appointment, closed_slot = _served_by_the_list(cancelled_person, procedure, site)
    _close(supervisor, site, closed_slot)
    queue_slot(site, procedure, days=5)
    [offer] = offers_allocate(procedure_id=procedure.pk)

    offer_decline(actor=cancelled_person.user, offer=offer.pk)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert offer.entry.status == EntryStatus.WAITING  # the first decline keeps the place


def test_a_closure_moves_up_an_entry_the_person_already_had(site, procedure, people, supervisor):
    entries = [join_at_site(p, procedure, site) for p in people[:3]]
    # The last to join also holds an appointment the prefecture booked at the site.
    slot = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)
    appointment_book(actor=supervisor, applicant=people[2], slot_id=slot.pk)

    _close(supervisor, site, slot)

    assert places(entries) == [2, 3, 1]
    assert WaitlistEntry.objects.filter(applicant=people[2]).count() == 1
    assert reclassified(entries[2]) == [
        (PriorityClass.NONE, PriorityClass.CANCELLED_BY_PREFECTURE, "closure")
    ]


def test_a_closure_where_the_calendar_gives_the_procedure_out_joins_nobody(
    site, procedure, people, supervisor
):
    open_site = factories.SiteFactory()
    AllocationPolicy.objects.create(procedure=procedure, site=open_site, mode=AllocationMode.OPEN)
    slot = factories.SlotFactory(site=open_site, procedure=procedure, pool=Pool.PUBLIC)
    appointment_book(actor=people[0].user, applicant=people[0], slot_id=slot.pk)

    _close(supervisor, open_site, slot)

    # The right lets them book the priority times themselves, as before.
    assert PriorityRight.objects.filter(applicant=people[0], procedure=procedure).exists()
    assert not WaitlistEntry.objects.exists()
    assert not Message.objects.filter(template_key="waitlist_placed").exists()


def test_a_walk_in_put_back_is_written_to_only_where_they_consented(
    site, procedure, agent, supervisor
):
    mediator = factories.MediatorFactory()
    walk_in = factories.ApplicantFactory(
        user=None,
        access_point=mediator.access_point,
        phone="+33612345678",
        email="walk.in@example.test",
    )
    factories.ConsentFactory(
        applicant=walk_in, mediator=mediator, purposes=["booking", "contact_email"]
    )
    slot = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)
    appointment_book(actor=agent, applicant=walk_in, slot_id=slot.pk)

    _close(supervisor, site, slot)

    placed = WaitlistEntry.objects.get(applicant=walk_in)
    assert placed.priority_class == PriorityClass.CANCELLED_BY_PREFECTURE
    assert list(
        Message.objects.filter(template_key="waitlist_placed").values_list("channel", flat=True)
    ) == ["email"]


# --- Rights used, given back, expired; permits coming closer ----------------------------


def test_a_right_used_moves_the_entry_back_and_given_back_ahead_again(
    site, procedure, people, supervisor
):
    entries = [join_at_site(p, procedure, site) for p in people[:2]]
    right_given(people[1], procedure)
    assert places(entries) == [2, 1]
    priority = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)

    booked = appointment_book(actor=people[1].user, applicant=people[1], slot_id=priority.pk)

    assert places(entries) == [1, 2]

    appointment_cancel(actor=people[1].user, appointment=booked)

    assert places(entries) == [2, 1]
    assert [reason for *_classes, reason in reclassified(entries[1])] == [
        "closure",
        "priority_right_used",
        "priority_right_restored",
    ]


def test_the_allocation_reads_an_entry_once_when_its_class_changes_between_pages(
    site, procedure, people, supervisor, monkeypatch
):
    from allocation.services import allocate

    monkeypatch.setattr(allocate, "ENTRIES_PAGE", 2)
    entries = [join_at_site(p, procedure, site) for p in people[:4]]
    # The last to join comes first (a renewal), then the others in order.
    waitlist_entry_permit_set(
        actor=supervisor, entry=entries[3].pk, permit_expires_on=timezone.localdate()
    )
    read = allocate._entries_in_order(procedure.pk, timezone.now(), {})
    first = next(read)  # the first page: the renewal, the first joiner
    assert first.entry_id == entries[3].pk
    # Its class changes before the second page is read: it now comes last.
    waitlist_entry_permit_set(actor=supervisor, entry=entries[3].pk, permit_expires_on=None)

    rest = [candidate.entry_id for candidate in read]

    assert rest == [entries[0].pk, entries[1].pk, entries[2].pk]


def test_an_offer_already_made_stays_when_the_class_changes(site, procedure, people, agent):
    entries = [join_at_site(p, procedure, site) for p in people[:2]]
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    assert offer.entry_id == entries[0].pk

    record(agent, people[1], procedure, site)

    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.OPEN


# --- Under real concurrent transactions --------------------------------------------------


def _racing_world(people: int):
    """One person booked on slot ``closed`` (taken through the list, one seat of
    two: the other free), ``people`` waiting after them, free seats elsewhere."""
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    booked = person()
    _appointment, closed = _served_by_the_list(booked, procedure, site)
    waiting = [join_at_site(person(), procedure, site) for _ in range(people)]
    # Seats for everyone, the closed slot's included: both racers lock it.
    type(closed).objects.filter(pk=closed.pk).update(capacity=2)
    elsewhere = [
        queue_slot(site, procedure, days=5 + n, capacity=3) for n in range(people // 3 + 2)
    ]
    return site, procedure, booked, closed, waiting, elsewhere


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_a_closure_racing_an_allocation_neither_deadlocks_nor_leaks(round_, monkeypatch):
    """The allocation starts while the closure holds the slot (its appointment
    cancelled, the person not yet put back): it takes its procedure's lock and
    waits for the slot; the closure then locks and writes the entries without
    that lock (slots, then entries: the allocation's own order). Taking the
    procedure's lock there would deadlock (PostgreSQL would end one of them)."""
    from booking.services import closures
    from tests.allocation.test_concurrency import _assert_no_leak
    from tests.helpers.racing import kinds, race

    site, procedure, booked, closed, waiting, _elsewhere = _racing_world(people=8)
    supervisor = factories.UserFactory(role="supervisor")
    holding = threading.Event()
    cancel = closures.appointment_cancel

    def cancel_then_wait(**kwargs):
        cancelled = cancel(**kwargs)
        holding.set()  # the slot is locked until the closure commits
        time.sleep(0.5)  # long enough for the allocation to queue behind it
        return cancelled

    monkeypatch.setattr(closures, "appointment_cancel", cancel_then_wait)

    def allocate_once_the_slot_is_held():
        assert holding.wait(timeout=30)
        return offers_allocate(procedure_id=procedure.pk)

    outcomes = race([partial(_close, supervisor, site, closed), allocate_once_the_slot_is_held])

    assert not [o for o in outcomes if isinstance(o, BaseException)], kinds(outcomes)
    closed.refresh_from_db()
    assert (closed.capacity, closed.booked, closed.held) == (0, 0, 0)
    placed = WaitlistEntry.objects.get(applicant=booked, status__in=("waiting", "paused"))
    assert placed.priority_class == PriorityClass.CANCELLED_BY_PREFECTURE
    # The allocation read the list after the closure committed: the person put
    # back had the first seat; with seats for all, everyone waiting has one.
    first = Offer.objects.filter(status=OfferStatus.OPEN).order_by("pk").first()
    assert first.entry_id == placed.pk
    offered = set(Offer.objects.filter(status=OfferStatus.OPEN).values_list("entry_id", flat=True))
    assert offered == {placed.pk, *(entry.pk for entry in waiting)}
    _assert_no_leak(procedure)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_court_order_racing_an_allocation_ends_in_its_class(round_):
    from tests.allocation.test_concurrency import _assert_no_leak
    from tests.helpers.racing import kinds, race

    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    waiting = [join_at_site(person(), procedure, site) for _ in range(6)]
    queue_slot(site, procedure, capacity=2)
    agent = factories.AgentFactory(sites=[site])
    last = waiting[-1]

    outcomes = race(
        [
            partial(record, agent, last.applicant, procedure, site),
            partial(offers_allocate, procedure_id=procedure.pk),
        ]
    )

    assert not [o for o in outcomes if isinstance(o, BaseException)], kinds(outcomes)
    last.refresh_from_db()
    assert last.priority_class == PriorityClass.COURT_ORDER
    # Before the order: the first two had the seats; after it, the order's
    # person had one (its run after the commit, or the allocation itself).
    offered = set(Offer.objects.filter(status=OfferStatus.OPEN).values_list("entry_id", flat=True))
    assert offered in ({waiting[0].pk, waiting[1].pk}, {last.pk, waiting[0].pk})
    _assert_no_leak(procedure)
