"""Publishing in Paris local time, across the daylight saving time changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from booking.services import OpeningRange
from tests.helpers.publishing import (
    FALL_BACK,
    SPRING_FORWARD,
    frozen_now,  # noqa: F401 - every test runs at NOW
    publish,
    slots_where,
)

pytestmark = pytest.mark.django_db


# --- Local time and daylight saving time -------------------------------------------------


def test_times_are_paris_local_time_in_winter_and_summer(agent, site, procedure):
    publish(
        agent,
        site,
        procedure,
        date_to=date(2027, 7, 5),
        weekdays=[0],
        opening_ranges=[OpeningRange(time(9), time(9, 20))],
    )

    slots = slots_where()
    assert slots[0].starts_at == datetime(2027, 3, 8, 8, 0, tzinfo=UTC)  # CET, UTC+1
    assert slots[-1].starts_at == datetime(2027, 7, 5, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    assert {timezone.localtime(s.starts_at).time() for s in slots} == {time(9)}


@pytest.mark.parametrize(
    ("day", "utc_hour_before", "utc_hour_on"),
    [(SPRING_FORWARD, 8, 7), (FALL_BACK, 7, 8)],
)
def test_slots_on_a_dst_change_day_keep_local_times_and_lengths(
    agent, site, procedure, day, utc_hour_before, utc_hour_on
):
    publish(
        agent,
        site,
        procedure,
        date_from=day - timedelta(days=1),
        date_to=day,
        opening_ranges=[OpeningRange(time(9), time(12))],
    )

    slots = slots_where()
    assert len(slots) == 18
    saturday, sunday = slots[:9], slots[9:]
    assert saturday[0].starts_at == datetime.combine(
        day - timedelta(days=1), time(utc_hour_before), tzinfo=UTC
    )
    assert sunday[0].starts_at == datetime.combine(day, time(utc_hour_on), tzinfo=UTC)
    assert {timezone.localtime(s.starts_at).strftime("%H:%M") for s in sunday} == {
        "09:00",
        "09:20",
        "09:40",
        "10:00",
        "10:20",
        "10:40",
        "11:00",
        "11:20",
        "11:40",
    }
    assert {s.ends_at - s.starts_at for s in slots} == {timedelta(minutes=20)}


def test_night_range_across_the_spring_forward_gap_has_no_duplicate_or_phantom_slot(
    agent, site, procedure
):
    """01:00 to 04:00 local on the day 02:00 does not exist lasts two real hours."""
    result = publish(
        agent,
        site,
        procedure,
        date_from=SPRING_FORWARD,
        date_to=SPRING_FORWARD,
        opening_ranges=[OpeningRange(time(1), time(4))],
    )

    slots = slots_where()
    assert [f"{timezone.localtime(s.starts_at):%H:%M%z}" for s in slots] == [
        "01:00+0100",
        "01:20+0100",
        "01:40+0100",
        "03:00+0200",
        "03:20+0200",
        "03:40+0200",
    ]
    assert (result.created, result.skipped) == (6, 0)
    assert {s.ends_at - s.starts_at for s in slots} == {timedelta(minutes=20)}


def test_night_range_across_the_fall_back_hour_covers_both_passes(agent, site, procedure):
    """01:00 to 04:00 local on the day 02:00-03:00 happens twice lasts four real hours."""
    result = publish(
        agent,
        site,
        procedure,
        date_from=FALL_BACK,
        date_to=FALL_BACK,
        opening_ranges=[OpeningRange(time(1), time(4))],
    )

    slots = slots_where()
    assert result.created == 12
    assert slots[0].starts_at == datetime(2027, 10, 30, 23, 0, tzinfo=UTC)  # 01:00 CEST
    assert slots[-1].ends_at == datetime(2027, 10, 31, 3, 0, tzinfo=UTC)  # 04:00 CET
    assert all(a.ends_at == b.starts_at for a, b in pairwise(slots))
