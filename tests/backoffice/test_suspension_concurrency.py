"""A suspension racing what the account does, in real concurrent transactions on
PostgreSQL (``accounts.suspension``).

Each test holds one side's transaction open at the moment that matters and
starts the other in another connection:

- the suspension done but not committed: a booking, a join or an offer's
  answer by the account (or by the offer's link) waits for it, then is refused;
  nothing of the account is left in force;
- the booking, join or accept done but not committed: the suspension waits for
  it, then releases what it wrote.

Without the account's row locked by those paths, the first kind commits beside
the suspension (whose reads were made) and the second is not seen by it: an
appointment or an entry of a suspended account left in force.
"""

from __future__ import annotations

import threading
from functools import partial

import pytest
from django.db import transaction

from accounts.errors import AccountSuspended
from accounts.models import Role, User
from allocation import errors as allocation_errors
from allocation.models import ENTRY_IN_FORCE, Offer, OfferStatus, WaitlistEntry
from allocation.services import (
    offer_accept,
    offer_accept_by_link,
    offers_allocate,
    waitlist_join,
)
from backoffice.abuse.services import account_suspend
from booking.models import (
    ACTIVE_STATUSES,
    AllocationMode,
    AllocationPolicy,
    Appointment,
    Slot,
)
from booking.services import appointment_book
from tests import factories
from tests.allocation.conftest import person, queue_slot
from tests.helpers.racing import JOIN_TIMEOUT, in_thread, kinds, lock_wait_seen, race

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "Rendez-vous revendus."


@pytest.fixture
def supervisor(db):
    return factories.UserFactory(role=Role.SUPERVISOR)


@pytest.fixture
def queue_procedure(db):
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


def _held_open(call, outcome: list, done: threading.Event, release: threading.Event):
    """``call`` in a transaction kept open (``done`` set) until ``release``."""

    def run():
        with transaction.atomic():
            result = call()
            done.set()
            release.wait(JOIN_TIMEOUT)
        return result

    return in_thread(run, outcome)


def _first_then_second(first, second) -> tuple[object, object, bool]:
    """``first`` done and held open, then ``second`` started; once ``second``
    waits on a lock (or ends), ``first`` commits. Returns both outcomes and
    whether ``second`` waited."""
    done, release = threading.Event(), threading.Event()
    first_outcome: list = []
    second_outcome: list = []
    holder = _held_open(first, first_outcome, done, release)
    assert done.wait(JOIN_TIMEOUT), first_outcome
    follower = in_thread(second, second_outcome)
    waited = lock_wait_seen(follower)
    release.set()
    holder.join(JOIN_TIMEOUT)
    follower.join(JOIN_TIMEOUT)
    assert not holder.is_alive() and not follower.is_alive(), "a side hung"
    return first_outcome[0], second_outcome[0], waited


def _suspend(supervisor, account):
    # Its own instance: the service marks the one it is given suspended, and the
    # other side must act with the account as its request authenticated it.
    return partial(
        account_suspend, actor=supervisor, user=User.objects.get(pk=account.pk), reason=REASON
    )


def _in_force(account) -> tuple[list, list]:
    """The account's appointments to come and entries still in force."""
    appointments = list(
        Appointment.objects.filter(applicant__user=account, status__in=ACTIVE_STATUSES).values_list(
            "reference", flat=True
        )
    )
    entries = list(
        WaitlistEntry.objects.filter(
            applicant__user=account, status__in=ENTRY_IN_FORCE
        ).values_list("pk", flat=True)
    )
    return appointments, entries


def _offered(broker, site, procedure) -> Offer:
    """``broker`` on the list, offered a seat of the list's pool."""
    waitlist_join(actor=broker.user, applicant=broker, procedure=procedure, site_ids=[site.pk])
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    return offer


# --- The suspension first: the account's request waits, then is refused -------------


def test_a_booking_behind_a_suspension_in_flight_is_refused(site, procedure, supervisor):
    broker = person()
    slot = factories.SlotFactory(site=site, procedure=procedure)

    suspended, booking, waited = _first_then_second(
        _suspend(supervisor, broker.user),
        partial(appointment_book, actor=broker.user, applicant=broker, slot_id=slot.pk),
    )

    assert waited
    assert not isinstance(suspended, Exception), suspended
    assert isinstance(booking, AccountSuspended), booking
    assert _in_force(broker.user) == ([], [])
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_join_behind_a_suspension_in_flight_is_refused(site, queue_procedure, supervisor):
    broker = person()

    _suspended, joined, waited = _first_then_second(
        _suspend(supervisor, broker.user),
        partial(
            waitlist_join,
            actor=broker.user,
            applicant=broker,
            procedure=queue_procedure,
            site_ids=[site.pk],
        ),
    )

    assert waited
    assert isinstance(joined, AccountSuspended), joined
    assert not WaitlistEntry.objects.filter(applicant=broker).exists()


def test_an_accept_behind_a_suspension_in_flight_is_refused(site, queue_procedure, supervisor):
    broker = person()
    offer = _offered(broker, site, queue_procedure)

    _suspended, accepted, waited = _first_then_second(
        _suspend(supervisor, broker.user),
        partial(offer_accept, actor=broker.user, offer=offer.pk),
    )

    assert waited
    assert isinstance(accepted, AccountSuspended), accepted
    assert _in_force(broker.user) == ([], [])
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN


def test_an_accept_by_the_link_behind_a_suspension_in_flight_finds_the_offer_withdrawn(
    site, queue_procedure, supervisor
):
    """The link books for nobody's account, but the person's account is the
    one being suspended: the answer waits for it and finds the offer gone."""
    broker = person()
    offer = _offered(broker, site, queue_procedure)

    _suspended, accepted, waited = _first_then_second(
        _suspend(supervisor, broker.user), partial(offer_accept_by_link, offer=offer.pk)
    )

    assert waited
    assert isinstance(accepted, allocation_errors.OfferNotOpen), accepted
    assert _in_force(broker.user) == ([], [])
    slot = Slot.objects.get(pk=offer.slot_id)
    assert (slot.booked, slot.held) == (0, 0)


# --- The account's request first: the suspension waits, then releases it --------------


def test_a_suspension_behind_a_booking_in_flight_cancels_it(site, procedure, supervisor):
    broker = person()
    slot = factories.SlotFactory(site=site, procedure=procedure)

    booked, suspended, waited = _first_then_second(
        partial(appointment_book, actor=broker.user, applicant=broker, slot_id=slot.pk),
        _suspend(supervisor, broker.user),
    )

    assert waited
    assert isinstance(booked, Appointment), booked
    assert suspended.cancelled == [booked.reference]
    assert _in_force(broker.user) == ([], [])


def test_a_suspension_behind_a_join_in_flight_takes_the_entry_off(
    site, queue_procedure, supervisor
):
    broker = person()

    joined, suspended, waited = _first_then_second(
        partial(
            waitlist_join,
            actor=broker.user,
            applicant=broker,
            procedure=queue_procedure,
            site_ids=[site.pk],
        ),
        _suspend(supervisor, broker.user),
    )

    assert waited
    assert suspended.entries_left == [joined.pk]
    assert _in_force(broker.user) == ([], [])


@pytest.mark.parametrize("by_link", [False, True], ids=["account", "link"])
def test_a_suspension_behind_an_accept_in_flight_cancels_what_it_booked(
    site, queue_procedure, supervisor, by_link
):
    """The accept holds its slot, entry and offer; the suspension, which
    withdraws the person's offers, waits on the account's row first: no
    deadlock, and the appointment the offer became is cancelled."""
    broker = person()
    offer = _offered(broker, site, queue_procedure)
    accept = (
        partial(offer_accept_by_link, offer=offer.pk)
        if by_link
        else partial(offer_accept, actor=broker.user, offer=offer.pk)
    )

    accepted, suspended, waited = _first_then_second(accept, _suspend(supervisor, broker.user))

    assert waited
    assert isinstance(accepted, Appointment), accepted
    assert suspended.cancelled == [accepted.reference]
    assert _in_force(broker.user) == ([], [])
    slot = Slot.objects.get(pk=offer.slot_id)
    assert (slot.booked, slot.held) == (0, 0)


# --- All at once ----------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(3))
def test_a_suspension_racing_the_accounts_bookings_leaves_nothing_in_force(
    site, queue_procedure, supervisor, round_
):
    """The suspension, a booking in the calendar, a join and the answer to an
    offer, released together: whatever the order, nothing of the account is
    left in force, no seat is leaked, and nothing but the domain's refusals
    (no deadlock)."""
    broker = person()
    open_procedure, join_procedure = factories.ProcedureFactory(), factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=join_procedure, mode=AllocationMode.QUEUE)
    slot = factories.SlotFactory(site=site, procedure=open_procedure)
    offer = _offered(broker, site, queue_procedure)

    outcomes = race(
        [
            _suspend(supervisor, broker.user),
            partial(appointment_book, actor=broker.user, applicant=broker, slot_id=slot.pk),
            partial(
                waitlist_join,
                actor=broker.user,
                applicant=broker,
                procedure=join_procedure,
                site_ids=[site.pk],
            ),
            partial(offer_accept, actor=broker.user, offer=offer.pk),
        ]
    )

    assert kinds(outcomes[:1]) == {"Suspension": 1}, outcomes
    for outcome in outcomes[1:]:
        assert isinstance(outcome, Appointment | WaitlistEntry | AccountSuspended), outcomes
    assert _in_force(broker.user) == ([], [])
    for row in Slot.objects.filter(pk__in=[slot.pk, offer.slot_id]):
        assert (row.booked, row.held) == (0, 0), row
