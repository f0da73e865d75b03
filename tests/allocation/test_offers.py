"""The waiting list end to end through its services: join, offers in the list's
order, accept, decline, expiry and pause; held seats are nobody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from allocation import errors
from allocation.models import EntryStatus, Offer, OfferStatus, PriorityClass
from allocation.services import (
    offer_accept,
    offer_decline,
    offers_allocate,
    offers_expire_due,
    waitlist_entry_resume,
    waitlist_join,
    waitlist_leave,
)
from booking import errors as booking_errors
from booking import selectors
from booking.models import AllocationMode, AllocationPolicy, AppointmentStatus, Pool, Slot
from booking.services import appointment_book, appointment_cancel
from tests import factories
from tests.allocation.conftest import person, queue_slot

pytestmark = pytest.mark.django_db


def _join(applicant, procedure, site, **kwargs):
    return waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk], **kwargs
    )


def _open_offers():
    return list(Offer.objects.filter(status=OfferStatus.OPEN).order_by("pk"))


def _seats(slot):
    slot.refresh_from_db()
    return slot.capacity, slot.booked, slot.held


def test_seats_go_to_the_list_in_the_order_people_joined(site, procedure, people):
    entries = [_join(p, procedure, site) for p in people]
    slot = queue_slot(site, procedure, capacity=2)

    offers = offers_allocate(procedure_id=procedure.pk)

    assert [o.entry_id for o in offers] == [entries[0].pk, entries[1].pk]
    assert _seats(slot) == (2, 0, 2)
    # Nothing is left to offer: a second run changes nothing.
    assert offers_allocate(procedure_id=procedure.pk) == []
    assert len(_open_offers()) == 2


def test_a_priority_class_comes_before_the_order_of_joining(site, procedure, people):
    first = _join(people[0], procedure, site)
    renewal = waitlist_join(
        actor=factories.UserFactory(role="supervisor"),
        applicant=people[1],
        procedure=procedure,
        site_ids=[site.pk],
        permit_expires_on=timezone.localdate() + timedelta(days=20),
    )
    assert renewal.priority_class == PriorityClass.PERMIT_EXPIRING
    queue_slot(site, procedure)

    [offer] = offers_allocate(procedure_id=procedure.pk)

    assert offer.entry_id == renewal.pk != first.pk


def test_an_entry_gets_only_a_seat_that_fits_its_sites_and_weekdays(site, procedure, people):
    other_site = factories.SiteFactory()
    # The procedure is given out by its list at every site but this one.
    AllocationPolicy.objects.create(procedure=procedure, site=other_site, mode=AllocationMode.OPEN)
    slot = queue_slot(site, procedure)
    weekday = timezone.localtime(slot.starts_at).isoweekday()
    cannot_that_day = _join(people[0], procedure, site, weekdays_excluded=[weekday])
    elsewhere = waitlist_join(
        actor=people[1].user, applicant=people[1], procedure=procedure, site_ids=[site.pk]
    )
    # Only the site given out by the list counts; the other site is not.
    with pytest.raises(errors.NotGivenOutByList):
        waitlist_join(
            actor=people[2].user,
            applicant=people[2],
            procedure=procedure,
            site_ids=[other_site.pk],
        )

    [offer] = offers_allocate(procedure_id=procedure.pk)

    assert offer.entry_id == elsewhere.pk != cannot_that_day.pk


def test_a_held_seat_is_hidden_and_refused_to_anyone_booking_directly(site, procedure, people):
    _join(people[0], procedure, site)
    slot = queue_slot(site, procedure)
    offers_allocate(procedure_id=procedure.pk)
    stranger = person()

    assert list(selectors.availability(procedure=procedure, pools=[Pool.PUBLIC])) == []
    with pytest.raises(booking_errors.SlotNotFound):
        appointment_book(actor=stranger.user, applicant=stranger, slot_id=slot.pk)
    assert _seats(slot) == (1, 0, 1)


def test_accepting_books_the_held_seat_and_serves_the_entry(site, procedure, people):
    entry = _join(people[0], procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)

    appointment = offer_accept(actor=people[0].user, offer=offer.pk)

    assert appointment.slot_id == slot.pk and appointment.status == AppointmentStatus.BOOKED
    assert _seats(slot) == (1, 1, 0)
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert (offer.status, offer.appointment_id) == (OfferStatus.ACCEPTED, appointment.pk)
    assert (entry.status, entry.appointment_id) == (EntryStatus.SERVED, appointment.pk)
    with pytest.raises(errors.OfferNotOpen):
        offer_accept(actor=people[0].user, offer=offer.pk)


def test_someone_else_cannot_see_nor_answer_an_offer(site, procedure, people):
    _join(people[0], procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)

    with pytest.raises(errors.OfferNotFound):
        offer_accept(actor=people[1].user, offer=offer.pk)
    with pytest.raises(errors.OfferNotFound):
        offer_decline(actor=people[1].user, offer=offer.pk)
    with pytest.raises(errors.OfferNotFound):
        offer_accept(actor=people[1].user, offer=offer.pk + 1000)


def test_declining_passes_the_seat_on_and_keeps_the_place_once(
    site, procedure, people, django_capture_on_commit_callbacks
):
    first, second = _join(people[0], procedure, site), _join(people[1], procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    assert offer.entry_id == first.pk

    with django_capture_on_commit_callbacks(execute=True):
        offer_decline(actor=people[0].user, offer=offer.pk)

    [next_offer] = _open_offers()
    assert next_offer.entry_id == second.pk and next_offer.slot_id == slot.pk
    first.refresh_from_db()
    assert (first.declines, first.status) == (1, EntryStatus.WAITING)
    # The place is kept once: the next seat is the first person's again.
    queue_slot(site, procedure, days=4)
    [again] = offers_allocate(procedure_id=procedure.pk)
    assert again.entry_id == first.pk
    # A second decline sends them to the end.
    queued_before = first.queued_at
    offer_decline(actor=people[0].user, offer=again.pk)
    first.refresh_from_db()
    assert first.queued_at > queued_before


def test_an_expired_offer_goes_to_the_next_person_and_two_pause_the_entry(
    site, procedure, people, django_capture_on_commit_callbacks
):
    first = _join(people[0], procedure, site)
    second = _join(people[1], procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    later = offer.expires_at + timedelta(seconds=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert offers_expire_due(now=later) == 1

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    with pytest.raises(errors.OfferNotOpen):
        offer_accept(actor=people[0].user, offer=offer.pk)
    [next_offer] = _open_offers()
    assert next_offer.entry_id == second.pk
    first.refresh_from_db()
    assert (first.expiries, first.status) == (1, EntryStatus.WAITING)

    # The seat let expire is not offered to them again; a second expiry (of
    # another seat) pauses the entry until the person confirms.
    offer_decline(actor=people[1].user, offer=next_offer.pk)
    assert offers_allocate(procedure_id=procedure.pk) == []
    queue_slot(site, procedure, days=4)
    [third] = offers_allocate(procedure_id=procedure.pk)
    assert third.entry_id == first.pk
    offers_expire_due(now=third.expires_at + timedelta(seconds=1))
    first.refresh_from_db()
    assert first.status == EntryStatus.PAUSED
    waitlist_entry_resume(actor=people[0].user, entry=first.pk)
    first.refresh_from_db()
    assert (first.status, first.expiries) == (EntryStatus.WAITING, 0)


def test_an_offer_past_its_moment_cannot_be_accepted(site, procedure, people):
    _join(people[0], procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(errors.OfferExpired):
        offer_accept(actor=people[0].user, offer=offer.pk)


def test_one_entry_per_person_and_procedure_and_none_with_an_appointment(site, procedure, people):
    entry = _join(people[0], procedure, site)
    with pytest.raises(errors.AlreadyWaiting):
        _join(people[0], procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    offer_accept(actor=people[0].user, offer=offer.pk)
    with pytest.raises(booking_errors.AlreadyBooked):
        _join(people[0], procedure, site)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SERVED


def test_leaving_withdraws_the_offer_and_the_seat_goes_on(
    site, procedure, people, django_capture_on_commit_callbacks
):
    first, second = _join(people[0], procedure, site), _join(people[1], procedure, site)
    slot = queue_slot(site, procedure)
    offers_allocate(procedure_id=procedure.pk)

    with django_capture_on_commit_callbacks(execute=True):
        waitlist_leave(actor=people[0].user, entry=first.pk)

    first.refresh_from_db()
    assert first.status == EntryStatus.LEFT
    [offer] = _open_offers()
    assert offer.entry_id == second.pk
    assert _seats(slot) == (1, 0, 1)


def test_a_cancelled_appointment_of_the_list_goes_back_to_the_list(
    site, procedure, people, django_capture_on_commit_callbacks
):
    _join(people[0], procedure, site)
    second = _join(people[1], procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    appointment = offer_accept(actor=people[0].user, offer=offer.pk)

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=people[0].user, appointment=appointment)

    [next_offer] = _open_offers()
    assert (next_offer.entry_id, next_offer.slot_id) == (second.pk, slot.pk)
    assert _seats(slot) == (1, 0, 1)


def test_a_closure_withdraws_the_offers_of_its_slots(site, procedure, people, supervisor):
    from booking.services import closure_create

    entry = _join(people[0], procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)

    closure_create(
        actor=supervisor,
        site=site,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind="strike",
        reason="Grève",
    )

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.held) == (0, 0, 0)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING


def test_every_slot_keeps_held_plus_booked_within_capacity(site, procedure, people):
    for p in people:
        _join(p, procedure, site)
    slots = [queue_slot(site, procedure, days=3 + n / 10, capacity=2) for n in range(2)]
    offers = offers_allocate(procedure_id=procedure.pk)
    offer_accept(actor=offers[0].applicant.user, offer=offers[0].pk)
    offer_decline(actor=offers[1].applicant.user, offer=offers[1].pk)

    for slot in Slot.objects.filter(pk__in=[s.pk for s in slots]):
        open_offers = Offer.objects.filter(slot=slot, status=OfferStatus.OPEN).count()
        active = slot.appointments.filter(status=AppointmentStatus.BOOKED).count()
        assert (slot.held, slot.booked) == (open_offers, active)
        assert slot.booked + slot.held <= slot.capacity
