"""A priority right is given back when the appointment it booked is cancelled:
by the person, by an agent or by a closure, in the cancellation's transaction,
unless it has expired or the person holds another valid right for the procedure."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.models import ClosureKind, Pool, PriorityRight
from booking.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    closure_create,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _priority_slot(site, procedure, **kwargs):
    return factories.SlotFactory(
        site=site, procedure=procedure, pool=Pool.PRIORITY, capacity=2, **kwargs
    )


def _booked_with_a_right(site, procedure, **kwargs):
    right = factories.PriorityRightFactory(procedure=procedure)
    person = right.applicant
    slot = _priority_slot(site, procedure, **kwargs)
    appointment = appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
    right.refresh_from_db()
    assert right.used_at is not None and right.appointment_id == appointment.pk
    return right, appointment


def _cancel_audit(appointment):
    return AuditEvent.objects.get(action=AuditAction.APPOINTMENT_CANCELLED, appointment=appointment)


def test_a_cancelled_appointment_gives_its_right_back_to_book_again(site, procedure):
    right, appointment = _booked_with_a_right(site, procedure)
    person = right.applicant
    valid_until = right.valid_until

    appointment_cancel(actor=person.user, appointment=appointment)

    right.refresh_from_db()
    assert right.used_at is None and right.appointment_id is None
    assert right.valid_until == valid_until  # not extended
    assert _cancel_audit(appointment).details["priority_right_restored"] == right.pk
    # Usable again, once.
    again = appointment_book(
        actor=person.user, applicant=person, slot_id=_priority_slot(site, procedure).pk
    )
    right.refresh_from_db()
    assert right.appointment_id == again.pk


def test_an_agent_cancelling_gives_the_right_back(agent, site, procedure):
    right, appointment = _booked_with_a_right(site, procedure)

    appointment_cancel(actor=agent, appointment=appointment)

    right.refresh_from_db()
    assert right.used_at is None
    assert _cancel_audit(appointment).details["priority_right_restored"] == right.pk


def test_a_right_booked_appointment_moved_to_public_time_gives_it_back(site, procedure):
    right, appointment = _booked_with_a_right(site, procedure)
    person = right.applicant
    public = factories.SlotFactory(site=site, procedure=procedure)
    appointment_reschedule(actor=person.user, appointment=appointment, new_slot_id=public.pk)
    right.refresh_from_db()
    assert right.used_at is not None  # a move keeps it used

    appointment_cancel(actor=person.user, appointment=appointment)

    right.refresh_from_db()
    assert right.used_at is None


def test_an_expired_right_is_not_revived(site, procedure):
    right, appointment = _booked_with_a_right(site, procedure)
    PriorityRight.objects.filter(pk=right.pk).update(valid_until=timezone.now())

    appointment_cancel(actor=right.applicant.user, appointment=appointment)

    right.refresh_from_db()
    assert right.used_at is not None and right.appointment_id == appointment.pk
    assert "priority_right_restored" not in _cancel_audit(appointment).details
    with pytest.raises(errors.SlotNotFound):
        appointment_book(
            actor=right.applicant.user,
            applicant=right.applicant,
            slot_id=_priority_slot(site, procedure).pk,
        )


def test_a_public_booking_has_no_right_to_give_back(site, procedure):
    right = factories.PriorityRightFactory(procedure=procedure)
    person = right.applicant
    slot = factories.SlotFactory(site=site, procedure=procedure)
    appointment = appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)

    appointment_cancel(actor=person.user, appointment=appointment)

    assert "priority_right_restored" not in _cancel_audit(appointment).details
    assert PriorityRight.objects.filter(applicant=person, used_at__isnull=True).count() == 1


def _day_of(slot) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(timezone.localtime(slot.starts_at).date(), time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _close(agent, site, start, end):
    return closure_create(
        actor=agent,
        site=site,
        starts_at=start,
        ends_at=end,
        kind=ClosureKind.STRIKE,
        reason="Grève",
    )


def test_another_closure_gives_its_own_right_not_a_second_one(agent, site, procedure):
    right, appointment = _booked_with_a_right(site, procedure)
    start, end = _day_of(appointment.slot)

    closure = _close(agent, site, start, end)

    rights = PriorityRight.objects.filter(applicant=right.applicant, procedure=procedure)
    usable = rights.filter(used_at__isnull=True, valid_until__gt=timezone.now())
    [new] = usable
    assert new.closure_id == closure.pk
    right.refresh_from_db()
    assert right.used_at is not None  # the first right stays used: one right, not two
    assert "priority_right_restored" not in _cancel_audit(appointment).details


def test_the_same_closure_run_again_gives_back_the_right_it_gave(agent, site, procedure):
    """A priority time published in a closed range after the closure, booked with
    the closure's right, then closed by the closure run again: the person keeps
    that closure's one right (usable again), not none."""
    booked = factories.SlotFactory(site=site, procedure=procedure)
    person = factories.ApplicantFactory()
    appointment_book(actor=person.user, applicant=person, slot_id=booked.pk)
    start, end = _day_of(booked)
    closure = _close(agent, site, start, end)
    [right] = PriorityRight.objects.filter(applicant=person)
    # Another time of the closed day, whatever the hour the suite runs at.
    hour = timedelta(hours=1)
    late_at = booked.starts_at + (hour if booked.starts_at + 2 * hour <= end else -hour)
    late = _priority_slot(site, procedure, starts_at=late_at)
    appointment = appointment_book(actor=person.user, applicant=person, slot_id=late.pk)

    assert _close(agent, site, start, end) == closure

    [again] = PriorityRight.objects.filter(applicant=person)
    assert again.pk == right.pk and again.used_at is None and again.appointment_id is None
    assert _cancel_audit(appointment).details["priority_right_restored"] == right.pk
