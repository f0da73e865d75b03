"""A closure racing bookings and cancellations, with real concurrent transactions:
no booked seat is ever left in a closed slot, and nothing deadlocks."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial

import pytest
from django.utils import timezone

from booking import errors
from booking.models import ACTIVE_STATUSES, Appointment, ClosureKind, PriorityRight, Slot
from booking.services import appointment_book, appointment_cancel, closure_create
from tests import factories
from tests.helpers.racing import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("round_", range(3))
def test_bookings_racing_a_closure_never_leave_a_seat_in_a_closed_slot(round_):
    site, procedure = factories.SiteFactory(), factories.ProcedureFactory()
    agent = factories.AgentFactory(sites=[site])
    tz = timezone.get_current_timezone()
    start = datetime.combine(timezone.localdate() + timedelta(days=3), time(9), tzinfo=tz)
    slots = [
        factories.SlotFactory(
            site=site, procedure=procedure, starts_at=start + timedelta(minutes=20 * i), capacity=6
        )
        for i in range(2)
    ]
    booked = []
    for n in range(4):
        person = factories.ApplicantFactory()
        booked.append(
            appointment_book(actor=person.user, applicant=person, slot_id=slots[n % 2].pk)
        )
    newcomers = [factories.ApplicantFactory() for _ in range(6)]

    calls = [
        partial(
            closure_create,
            actor=agent,
            site=site,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            kind=ClosureKind.OUTAGE,
            reason="Panne du réseau",
        ),
        *(
            partial(appointment_book, actor=p.user, applicant=p, slot_id=slots[i % 2].pk)
            for i, p in enumerate(newcomers)
        ),
        partial(appointment_cancel, actor=booked[0].applicant.user, appointment=booked[0]),
    ]
    outcomes = race(calls)

    # Each racer either did its work or was refused for a reason of the domain.
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            assert isinstance(outcome, errors.SlotFull | errors.AppointmentNotActive), repr(outcome)
    for slot in slots:
        slot.refresh_from_db()
        assert slot.closure_id is not None
        active = Appointment.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count()
        assert active == 0
        assert slot.booked == 0
        assert slot.capacity == 0
    # Everyone a closure cancelled holds a right; whoever got in before it was cancelled by it.
    new_bookings = [o for o in outcomes[1:-1] if isinstance(o, Appointment)]
    holders = set(PriorityRight.objects.values_list("applicant_id", flat=True))
    for appointment in new_bookings:
        assert appointment.applicant_id in holders
    assert Slot.objects.filter(pk__in=[s.pk for s in slots], closure__isnull=True).count() == 0
