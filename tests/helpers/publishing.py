"""What the publication tests share: the frozen moment, the dates around DST, publishing,
the API's body. ``frozen_now`` is autouse only where it is imported by name."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


def api_body(site, procedure, **overrides) -> dict:
    """A valid body of ``POST agent/publications/`` (and its preview): a week from
    tomorrow, two one-hour ranges of 20-minute slots, three counters, one of them
    kept for mediation; ``overrides`` replace fields."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    body = {
        "site": site.slug,
        "procedure": procedure.slug,
        "date_from": tomorrow.isoformat(),
        "date_to": (tomorrow + timedelta(days=6)).isoformat(),
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "opening_ranges": [{"start": "09:00", "end": "10:00"}, {"start": "14:00", "end": "15:00"}],
        "slot_minutes": 20,
        "counters": 3,
        "mediation_counters": 1,
    }
    body.update(overrides)
    return body
