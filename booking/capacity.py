"""Capacity as the back office reads it: per day and pool for a site and a
procedure (the calendar, the API), a day's slots, and when a slot or a
publication becomes visible **as it may be shown**.

A publication made visible "at a random moment inside a window" keeps the
moment drawn in ``Publication.visible_at`` and its slots' ``published_at``; the
window is in ``Publication.parameters["visible_window"]``. Until the moment
passes, every answer (pages, API, the admin, the audit trail) shows the window
only: ``visibility`` is the one place that decides what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from booking.models import Pool, Procedure, Publication, Site, Slot

POOLS = tuple(Pool.values)
# The longest range the calendar (page and API) answers at once, in days.
MAX_CALENDAR_DAYS = 93


@dataclass(frozen=True)
class Visibility:
    """When something becomes visible, as it may be shown at ``now``: ``at`` (a
    moment passed or chosen), or ``window`` (a random moment not yet passed)."""

    visible: bool
    at: datetime | None = None
    window: tuple[datetime, datetime] | None = None

    def as_json(self) -> dict:
        return {
            "visible": self.visible,
            "visible_at": self.at.isoformat() if self.at else None,
            "visible_window": [moment.isoformat() for moment in self.window]
            if self.window
            else None,
        }


def _window(parameters: dict | None) -> tuple[datetime, datetime] | None:
    raw = (parameters or {}).get("visible_window")
    if not raw or len(raw) != 2:
        return None
    start, end = parse_datetime(raw[0]), parse_datetime(raw[1])
    if start is None or end is None:
        return None
    return start, end


def visibility(moment: datetime, parameters: dict | None, *, now: datetime) -> Visibility:
    """What may be shown of ``moment`` (a ``published_at``/``visible_at``) whose
    publication had ``parameters``: the moment once passed or when it was
    chosen; while a drawn moment is to come, its window only."""
    if moment <= now:
        return Visibility(visible=True, at=moment)
    window = _window(parameters)
    if window is not None:
        return Visibility(visible=False, window=window)
    return Visibility(visible=False, at=moment)


def publication_visibility(publication: Publication, *, now: datetime) -> Visibility:
    return visibility(publication.visible_at, publication.parameters, now=now)


def slot_visibility(slot: Slot, *, now: datetime) -> Visibility:
    """The slot with its ``publication`` loaded (``day_slots`` does)."""
    parameters = slot.publication.parameters if slot.publication_id else None
    return visibility(slot.published_at, parameters, now=now)


# --- Per day and pool -------------------------------------------------------------------


@dataclass
class PoolFigures:
    capacity: int = 0
    booked: int = 0
    # Taken but not booked: offered to the waiting list, or freed and not shown yet.
    held: int = 0

    @property
    def free(self) -> int:
        return self.capacity - self.booked - self.held


@dataclass
class CalendarDay:
    day: date
    pools: dict[str, PoolFigures] = field(default_factory=dict)

    def pool(self, name: str) -> PoolFigures:
        return self.pools.get(name, PoolFigures())

    @property
    def rows(self) -> list[tuple[str, PoolFigures]]:
        return [(pool, self.pool(pool)) for pool in POOLS]

    @property
    def total(self) -> PoolFigures:
        return PoolFigures(
            capacity=sum(p.capacity for p in self.pools.values()),
            booked=sum(p.booked for p in self.pools.values()),
            held=sum(p.held for p in self.pools.values()),
        )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def capacity_by_day(
    *, site: Site, procedure: Procedure, date_from: date, date_to: date
) -> list[CalendarDay]:
    """Every local day of ``[date_from, date_to]`` with capacity and booked per
    pool (zero where nothing is published). One aggregate query."""
    tz = timezone.get_current_timezone()
    rows = (
        Slot.objects.filter(
            site=site,
            procedure=procedure,
            starts_at__gte=_day_start(date_from),
            starts_at__lt=_day_start(date_to + timedelta(days=1)),
        )
        .annotate(day=TruncDate("starts_at", tzinfo=tz))
        .order_by()
        .values("day", "pool")
        .annotate(capacity=Sum("capacity"), booked=Sum("booked"), held=Sum("held"))
    )
    days = {
        date_from + timedelta(days=offset): CalendarDay(day=date_from + timedelta(days=offset))
        for offset in range((date_to - date_from).days + 1)
    }
    for row in rows:
        days[row["day"]].pools[row["pool"]] = PoolFigures(
            capacity=row["capacity"] or 0, booked=row["booked"] or 0, held=row["held"] or 0
        )
    return list(days.values())


def day_slots(*, site: Site, procedure: Procedure, day: date) -> list[Slot]:
    """The slots of ``day`` (local) at ``site`` for ``procedure``, with their
    publication (for ``slot_visibility``), by time and pool (public, mediation,
    priority). One query."""
    slots = Slot.objects.filter(
        site=site,
        procedure=procedure,
        starts_at__gte=_day_start(day),
        starts_at__lt=_day_start(day + timedelta(days=1)),
    ).select_related("publication")
    return sorted(slots, key=lambda slot: (slot.starts_at, POOLS.index(slot.pool)))
