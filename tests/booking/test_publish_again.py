"""Publishing again: nothing twice, only what is missing, booked slots left alone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from booking.models import Slot
from booking.services import OpeningRange, appointment_book
from tests.helpers.publishing import (
    MONDAY,
    PARIS,
    frozen_now,  # noqa: F401 - every test runs at NOW
    local_times,
    publish,
    slots_where,
)

pytestmark = pytest.mark.django_db


# --- Publishing again -------------------------------------------------------------------


def test_publishing_the_same_window_twice_creates_nothing_twice(agent, site, procedure):
    params = {
        "date_to": MONDAY + timedelta(days=13),
        "weekdays": [0, 1, 3],
        "counters": 3,
        "mediation_counters": 1,
    }
    first = publish(agent, site, procedure, **params)

    second = publish(agent, site, procedure, **params)

    assert (first.created, first.skipped) == (36, 0)  # 6 days x 3 times x 2 pools
    assert (second.created, second.skipped) == (0, 36)
    assert Slot.objects.count() == 36
    assert Slot.objects.aggregate(seats=Sum("capacity"))["seats"] == 18 * 3
    assert (second.publication.slots_created, second.publication.seats_created) == (0, 0)


def test_wider_republication_creates_only_the_missing_slots(agent, site, procedure):
    first = publish(agent, site, procedure, counters=2)
    first_ids = set(Slot.objects.values_list("pk", flat=True))

    second = publish(
        agent,
        site,
        procedure,
        date_to=MONDAY + timedelta(days=1),
        opening_ranges=[OpeningRange(time(8, 20), time(11))],
        counters=2,
    )

    assert (first.created, second.created, second.skipped) == (3, 13, 3)
    assert local_times(slots_where()) == [
        "Mon 08 08:20",
        "Mon 08 08:40",
        "Mon 08 09:00",
        "Mon 08 09:20",
        "Mon 08 09:40",
        "Mon 08 10:00",
        "Mon 08 10:20",
        "Mon 08 10:40",
        "Tue 09 08:20",
        "Tue 09 08:40",
        "Tue 09 09:00",
        "Tue 09 09:20",
        "Tue 09 09:40",
        "Tue 09 10:00",
        "Tue 09 10:20",
        "Tue 09 10:40",
    ]
    assert set(Slot.objects.filter(publication=first.publication).values_list("pk", flat=True)) == (
        first_ids
    )


def test_republishing_never_adds_seats_to_a_time_already_published(agent, site, procedure):
    """Three counters at 09:00 stay three seats, whatever split a second
    publication of the same window asks for."""
    publish(agent, site, procedure, counters=3)

    second = publish(agent, site, procedure, counters=3, mediation_counters=1, priority_counters=1)

    assert second.created == 0
    for start in Slot.objects.values_list("starts_at", flat=True).distinct():
        assert Slot.objects.filter(starts_at=start).aggregate(s=Sum("capacity"))["s"] == 3


def test_republishing_leaves_booked_slots_alone(agent, site, procedure, applicant):
    publish(agent, site, procedure, counters=2)
    booked_slot = slots_where()[0]
    appointment_book(actor=agent, applicant=applicant, slot_id=booked_slot.pk)

    publish(agent, site, procedure, counters=5)

    booked_slot.refresh_from_db()
    assert (booked_slot.capacity, booked_slot.booked) == (2, 1)


def test_times_already_past_today_are_not_published(agent, site, procedure, monkeypatch):
    monkeypatch.setattr(
        timezone, "now", lambda: datetime(2027, 3, 8, 9, 10, tzinfo=PARIS).astimezone(UTC)
    )

    result = publish(agent, site, procedure)

    assert local_times(slots_where()) == ["Mon 08 09:20", "Mon 08 09:40"]
    assert (result.created, result.skipped) == (2, 0)
