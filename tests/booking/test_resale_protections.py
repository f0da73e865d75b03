"""In an ``open`` procedure, a seat someone lets go comes back only after a
random delay, and the identity that cancelled may not book the procedure again
for a while: the seller who cancels at an agreed second can neither tell a
buyer when the seat returns nor take it back unsold. And the allocation mode's
change moves the capacity to come between the calendar and the waiting list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import errors, selectors
from booking.models import (
    AllocationMode,
    AllocationPolicy,
    BlockReason,
    BookingBlock,
    Pool,
    SeatRelease,
    Slot,
)
from booking.services import (
    allocation_mode_set,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    seats_release_due,
)
from notifications.models import FreedSeatAlert
from tests import factories
from tests.helpers.publishing import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def protections(settings):
    settings.FREED_SEAT_DELAY_MAX_MINUTES = 30
    settings.CANCEL_COOLING_HOURS = 24
    return settings


def _free(slot) -> int:
    slot.refresh_from_db()
    return slot.capacity - slot.booked - slot.held


def _shown(procedure, slot) -> bool:
    return slot.pk in {s.pk for s in selectors.availability(procedure=procedure, pools=["public"])}


def test_a_cancelled_seat_stays_hidden_until_its_random_moment(
    protections, applicant, procedure, site
):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = timezone.now()

    appointment_cancel(actor=applicant.user, appointment=appointment)

    [release] = SeatRelease.objects.filter(slot=slot)
    assert before < release.release_at <= before + timedelta(minutes=30, seconds=5)
    assert _free(slot) == 0 and slot.held == 1
    assert not _shown(procedure, slot)
    # Nobody takes it meanwhile, nor hears of it.
    stranger = factories.ApplicantFactory()
    with pytest.raises(errors.SlotFull):
        appointment_book(actor=stranger.user, applicant=stranger, slot_id=slot.pk)
    assert not FreedSeatAlert.objects.exists()
    # Not before its moment...
    assert seats_release_due(now=release.release_at - timedelta(seconds=1)) == 0
    assert not _shown(procedure, slot)
    # ...then it is shown and announced as a freed seat.
    assert seats_release_due(now=release.release_at) == 1
    assert _free(slot) == 1 and slot.held == 0
    assert _shown(procedure, slot)
    assert FreedSeatAlert.objects.filter(procedure=procedure, site=site).exists()
    assert seats_release_due(now=release.release_at + timedelta(hours=1)) == 0


def test_the_moments_are_drawn_not_fixed(protections, procedure, site):
    moments = set()
    for _ in range(6):
        person = factories.ApplicantFactory()
        slot = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
        appointment = appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
        appointment_cancel(actor=person.user, appointment=appointment)
        release = SeatRelease.objects.get(slot=slot)
        moments.add(round((release.release_at - release.created_at).total_seconds()))
    assert len(moments) > 1


def test_whoever_cancelled_cannot_book_the_procedure_back_for_a_while(
    protections, applicant, procedure, site
):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=2)
    other = factories.SlotFactory(site=site, procedure=procedure, capacity=2)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    appointment_cancel(actor=applicant.user, appointment=appointment)

    block = BookingBlock.objects.get(applicant=applicant, procedure=procedure)
    assert block.reason == BlockReason.CANCELLED
    assert timedelta(hours=23, minutes=59) < block.until - timezone.now() <= timedelta(hours=24)
    with pytest.raises(errors.CancelCooling) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=other.pk)
    assert refused.value.code == "cancel_cooling"
    # Another procedure is not concerned.
    elsewhere = factories.SlotFactory(site=site, capacity=1)
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=elsewhere.pk)


def test_a_moved_appointment_frees_its_old_seat_the_same_way(
    protections, applicant, procedure, site
):
    old = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    new = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=old.pk)

    appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=new.pk)

    assert SeatRelease.objects.filter(slot=old, released_at__isnull=True).count() == 1
    assert not _shown(procedure, old)
    # Moving is not cancelling: no wait for the person.
    assert not BookingBlock.objects.filter(applicant=applicant).exists()


def test_without_the_settings_a_freed_seat_is_shown_at_once(applicant, procedure, site):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    appointment_cancel(actor=applicant.user, appointment=appointment)

    assert not SeatRelease.objects.exists()
    assert _free(slot) == 1
    assert not BookingBlock.objects.exists()


def test_a_closure_takes_the_seats_held_back_with_its_slot(
    protections, applicant, procedure, site, supervisor
):
    from booking.services import closure_create

    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=2)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    appointment_cancel(actor=applicant.user, appointment=appointment)

    closure_create(
        actor=supervisor,
        site=site,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind="outage",
        reason="Panne",
    )

    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.held) == (0, 0, 0)
    assert seats_release_due(now=timezone.now() + timedelta(hours=1)) == 0


# --- The allocation mode ---------------------------------------------------------------


def test_a_supervisor_moves_the_capacity_to_come_to_the_waiting_list_and_back(
    supervisor, procedure, site, applicant
):
    future = factories.SlotFactory(site=site, procedure=procedure, capacity=2)
    booked = factories.SlotFactory(site=site, procedure=procedure, capacity=2)
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=booked.pk)
    mediation = factories.SlotFactory(
        site=site, procedure=procedure, capacity=1, pool=Pool.MEDIATION
    )

    allocation_mode_set(actor=supervisor, procedure=procedure, mode=AllocationMode.QUEUE)

    pools = dict(Slot.objects.filter(procedure=procedure).values_list("pk", "pool"))
    assert pools == {future.pk: "queue", booked.pk: "queue", mediation.pk: "mediation"}
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert not _shown(procedure, future)
    assert AuditEvent.objects.filter(
        action=AuditAction.ALLOCATION_MODE_SET, details__slots_moved=2
    ).exists()
    # A publication now puts its public counters on the list.
    result = publish(supervisor, site, procedure, counters=2)
    assert set(result.publication.slots.values_list("pool", flat=True)) == {"queue"}

    allocation_mode_set(actor=supervisor, procedure=procedure, mode=AllocationMode.OPEN)
    assert not Slot.objects.filter(procedure=procedure, pool="queue").exists()
    assert _shown(procedure, future)


def test_a_site_keeps_its_own_mode(supervisor, procedure, site):
    other_site = factories.SiteFactory()
    here = factories.SlotFactory(site=site, procedure=procedure)
    there = factories.SlotFactory(site=other_site, procedure=procedure)
    allocation_mode_set(
        actor=supervisor, procedure=procedure, site=other_site, mode=AllocationMode.OPEN
    )

    allocation_mode_set(actor=supervisor, procedure=procedure, mode=AllocationMode.QUEUE)

    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.pool, there.pool) == ("queue", "public")
    assert AllocationPolicy.objects.count() == 2


def test_only_supervisors_set_the_mode(agent, procedure):
    with pytest.raises(errors.SupervisorsOnly):
        allocation_mode_set(actor=agent, procedure=procedure, mode=AllocationMode.QUEUE)
    assert not AllocationPolicy.objects.exists()
