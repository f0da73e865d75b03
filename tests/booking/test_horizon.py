"""The booking horizon advances a day at a time at a moment nobody can compute.

A slot beyond the horizon is released when its procedure's horizon takes its
daily step, at a moment drawn at random within the release hours and kept on
the server: before it, the slot is neither listed nor bookable (it answers as
a missing one); from it, both, whether or not the periodic task has written
the step down yet. Availability and booking ask the same rule
(``booking.rules.horizon_end``) and agree to the microsecond.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from booking import errors, horizon
from booking.models import Horizon, Procedure, Slot
from booking.selectors import availability
from booking.services import appointment_book
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

API = "/api/v1/appointments/"


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """``timezone.now`` for every module that asks it: the services, the views."""
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def _offered(procedure: Procedure, slot: Slot, now: datetime) -> bool:
    fresh = Procedure.objects.select_related("horizon").get(pk=procedure.pk)
    return availability(procedure=fresh, now=now).filter(pk=slot.pk).exists()


def test_a_slot_past_the_horizon_is_released_at_the_drawn_moment_not_before(
    applicant_user, site, clock
):
    procedure = factories.ProcedureFactory(horizon_days=30)
    day = _tomorrow()
    clock.now = _local(day, 7)  # before the release hours
    horizon.horizons_advance()
    moment = Horizon.objects.get(procedure=procedure).next_release_at
    # Early on the day that day + 30 opens: a rolling horizon released it at 7:00.
    slot = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=_local(day + timedelta(days=30), 7)
    )
    api = token_client(applicant_user)
    missing = {"slot": Slot.objects.order_by("-pk").first().pk + 1000}

    clock.now = moment - timedelta(seconds=1)
    assert not _offered(procedure, slot, clock.now)
    refused = api.post(API, {"slot": slot.pk}, format="json")
    assert (refused.status_code, refused.content) == (
        404,
        api.post(API, missing, format="json").content,
    )

    clock.now = moment  # the task has not run: the moment is honoured anyway
    assert _offered(procedure, slot, clock.now)
    booked = api.post(API, {"slot": slot.pk}, format="json")
    assert booked.status_code == 201, booked.json()


def test_the_task_writes_the_step_down_and_draws_the_next_moment(site, clock):
    procedure = factories.ProcedureFactory(horizon_days=10)
    day = _tomorrow()
    clock.now = _local(day, 7)
    horizon.horizons_advance()
    row = Horizon.objects.get(procedure=procedure)
    assert row.released_until == _local(day + timedelta(days=10), 0)
    assert row.next_released_until == _local(day + timedelta(days=11), 0)

    clock.now = row.next_release_at
    assert horizon.horizons_advance() == [procedure.slug]
    assert horizon.horizons_advance() == []  # idempotent

    row.refresh_from_db()
    assert row.released_until == _local(day + timedelta(days=11), 0)
    assert row.next_released_until == _local(day + timedelta(days=12), 0)
    next_day = day + timedelta(days=1)
    assert _local(next_day, 8) <= row.next_release_at < _local(next_day, 18)


def test_a_horizon_whose_task_stopped_for_days_still_releases_days(site, clock):
    procedure = factories.ProcedureFactory(horizon_days=10)
    day = _tomorrow()
    clock.now = _local(day, 7)
    horizon.horizons_advance()
    row = Horizon.objects.get(procedure=procedure)

    # Beat is down: nothing writes the steps for four days.
    clock.now = _local(day + timedelta(days=4), 7)
    later = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=_local(day + timedelta(days=13), 9)
    )

    assert horizon.end_at(horizon_days=10, row=row, now=clock.now) == _local(
        day + timedelta(days=14), 0
    )
    assert _offered(procedure, later, clock.now)


def test_the_drawn_moment_differs_across_days_and_procedures_and_stays_in_the_window(clock):
    procedures = factories.ProcedureFactory.create_batch(6, horizon_days=20)
    first = _tomorrow()
    moments: list[datetime] = []
    for offset in range(5):
        day = first + timedelta(days=offset)
        clock.now = _local(day, 7)
        horizon.horizons_advance()
        for row in Horizon.objects.filter(procedure__in=procedures):
            assert _local(day, 8) <= row.next_release_at < _local(day, 18)
            moments.append(row.next_release_at)
        clock.now = _local(day, 18)  # every step of the day taken
        horizon.horizons_advance()

    times_of_day = {timezone.localtime(moment).time() for moment in moments}
    assert len(times_of_day) > len(moments) // 2  # drawn, not a schedule


@pytest.mark.parametrize("before", [True, False], ids=["just-before", "at-the-moment"])
def test_availability_and_booking_agree_at_the_boundary(site, clock, before):
    procedure = factories.ProcedureFactory(horizon_days=15)
    day = _tomorrow()
    clock.now = _local(day, 7)
    horizon.horizons_advance()
    row = Horizon.objects.get(procedure=procedure)
    tick = timedelta(microseconds=1)
    starts = [
        row.released_until - tick,
        row.released_until,
        row.next_released_until - tick,
        row.next_released_until,
    ]
    slots = [factories.SlotFactory(site=site, procedure=procedure, starts_at=s) for s in starts]
    clock.now = row.next_release_at - (tick if before else timedelta(0))

    offered = [_offered(procedure, slot, clock.now) for slot in slots]
    bookable = []
    for slot in slots:
        person = factories.ApplicantFactory()
        try:
            appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
        except errors.SlotNotFound:
            bookable.append(False)
        else:
            bookable.append(True)

    assert offered == bookable
    assert offered == ([True, False, False, False] if before else [True, True, True, False])


def test_nothing_shows_the_next_moment_before_it_passes(applicant_user, procedure, slot, clock):
    clock.now = _local(_tomorrow(), 7)
    horizon.horizons_advance()
    moment = Horizon.objects.get(procedure=procedure).next_release_at
    api = token_client(applicant_user)
    shown = [
        api.get("/api/v1/procedures/").content,
        api.get("/api/v1/availability/", {"procedure": procedure.slug}).content,
    ]
    for text in (moment.isoformat(), timezone.localtime(moment).isoformat()):
        assert not any(text[:16].encode() in body for body in shown)
