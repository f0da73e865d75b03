"""What the tests of court-ordered convocations share: an order recorded by an
agent, a slot at a given day and hour. Their fixtures (``walk_in``,
``priority_slot``, ``order``) are in ``tests/booking/injunctions/conftest.py``."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from booking.models import Injunction, Pool
from booking.services.injunctions import injunction_record
from tests import factories


def today() -> date:
    return timezone.localdate()


def record(agent, applicant, procedure, site, **changes) -> Injunction:
    """An order recorded by ``agent``: ordered two days ago, due in twelve."""
    fields = {
        "actor": agent,
        "applicant": applicant,
        "court": "Tribunal administratif de Montreuil",
        "case_number": "2612345",
        "ordered_on": today() - timedelta(days=2),
        "deadline": today() + timedelta(days=12),
        "procedure": procedure,
        "site": site,
        "notes": "Référé mesures utiles.",
    }
    return injunction_record(**(fields | changes))


def slot_on(site, procedure, day: date, pool=Pool.PRIORITY, hour: int = 10):
    """A 20-minute slot at ``hour`` o'clock on ``day`` (local time)."""
    starts = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
    starts = starts.replace(hour=hour)
    return factories.SlotFactory(
        site=site,
        procedure=procedure,
        pool=pool,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=20),
    )
