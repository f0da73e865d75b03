"""A seat offered to someone who booked the procedure meanwhile (their booking
committing while the allocation read the list) is not held until the offer
expires: accepting it is refused as ``already_booked`` and the seat goes to
the next person at once; the beat's minute withdraws such offers nobody
answers. The person keeps their place and is not told (it was their doing)."""

from __future__ import annotations

import pytest

from allocation.models import EntryStatus, Offer, OfferStatus
from allocation.services import (
    offer_accept,
    offers_allocate,
    offers_of_the_booked_withdraw,
    waitlist_join,
)
from allocation.tasks import allocate_due_task
from audit.models import AuditAction, AuditEvent
from booking import errors as booking_errors
from booking.models import AllocationMode, AllocationPolicy
from booking.services import appointment_book
from notifications.models import Message
from tests import factories
from tests.allocation.conftest import queue_slot

pytestmark = pytest.mark.django_db


def _join(applicant, procedure, site):
    return waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk]
    )


def _booked_elsewhere(applicant, procedure):
    """``applicant`` books ``procedure`` in the calendar of a site that gives it
    out there, while their entry waits (an appointment the list's read missed)."""
    elsewhere = factories.SiteFactory()
    AllocationPolicy.objects.create(procedure=procedure, site=elsewhere, mode=AllocationMode.OPEN)
    slot = factories.SlotFactory(site=elsewhere, procedure=procedure)
    return appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


def _seats(slot):
    slot.refresh_from_db()
    return slot.capacity, slot.booked, slot.held


@pytest.fixture
def offered(site, procedure, people):
    """Two people waiting; the first offered the one seat, then booking elsewhere."""
    first, second = _join(people[0], procedure, site), _join(people[1], procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    assert offer.entry_id == first.pk
    _booked_elsewhere(people[0], procedure)
    return first, second, slot, offer


def test_accepting_is_refused_and_the_seat_goes_to_the_next_person(
    offered, people, django_capture_on_commit_callbacks
):
    first, second, slot, offer = offered
    told_before = Message.objects.filter(applicant=people[0]).count()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(booking_errors.AlreadyBooked),
    ):
        offer_accept(actor=people[0].user, offer=offer.pk)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    [next_offer] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (next_offer.entry_id, next_offer.slot_id) == (second.pk, slot.pk)
    assert _seats(slot) == (1, 0, 1)
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING
    [withdrawn] = AuditEvent.objects.filter(action=AuditAction.OFFERS_WITHDRAWN)
    assert withdrawn.details["reason"] == "booked"
    # Their own doing: no "your offer was withdrawn" message.
    assert Message.objects.filter(applicant=people[0]).count() == told_before


def test_the_beats_minute_withdraws_such_an_offer_nobody_answers(
    offered, django_capture_on_commit_callbacks
):
    _first, second, slot, offer = offered

    with django_capture_on_commit_callbacks(execute=True):
        allocate_due_task()

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    [next_offer] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (next_offer.entry_id, next_offer.slot_id) == (second.pk, slot.pk)
    assert _seats(slot) == (1, 0, 1)


def test_an_offer_to_someone_without_an_appointment_stays(site, procedure, people):
    _join(people[0], procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)

    assert offers_of_the_booked_withdraw() == 0

    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    assert _seats(slot) == (1, 0, 1)
