"""What the publication tests share: the frozen moment, the dates around DST, publishing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from booking.models import Slot
from booking.services import OpeningRange, slots_publish

PARIS = ZoneInfo("Europe/Paris")
# Every test runs at this moment: a Monday morning, before both DST changes of 2027.
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2027, 3, 8)
SPRING_FORWARD = date(2027, 3, 28)  # last Sunday of March: 02:00 CET -> 03:00 CEST
FALL_BACK = date(2027, 10, 31)  # last Sunday of October: 03:00 CEST -> 02:00 CET
MORNING = OpeningRange(time(9), time(10))


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """Autouse where imported: the test runs at ``NOW``."""
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(UTC))
    return NOW


def publish(actor, site, procedure, **overrides):
    """Publish one morning on ``MONDAY`` with one counter, but for ``overrides``."""
    params = {
        "date_from": MONDAY,
        "date_to": MONDAY,
        "weekdays": range(7),
        "opening_ranges": [MORNING],
        "counters": 1,
    }
    return slots_publish(actor=actor, site=site, procedure=procedure, **(params | overrides))


def local_times(slots) -> list[str]:
    """The slots' starts in local time, as "Mon 08 09:00"."""
    return [f"{timezone.localtime(s.starts_at):%a %d %H:%M}" for s in slots]


def slots_where(**filters):
    """The slots matching ``filters``, by start then pool."""
    return list(Slot.objects.filter(**filters).order_by("starts_at", "pool"))
