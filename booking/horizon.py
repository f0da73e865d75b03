"""The booking horizon: how far ahead a procedure's slots may be booked.

A horizon that rolls with the clock (``now + horizon_days``) releases each
slot exactly ``horizon_days`` before it starts, to the second: whatever
random visibility its publication drew, a bot knows when to ask. Instead, the
horizon advances by whole days, once a day, at a moment drawn at random per
procedure and day within ``GUICHET_HORIZON_RELEASE_HOURS`` (local time):
day ``D``'s slots are released during day ``D - horizon_days``, at a moment
nobody can compute in advance. A ``Horizon`` row per procedure holds the
current end, the next moment and the end after it; the moment stays on the
server (no page, API answer or header shows it; only the availability cache
keeps it, to expire its answers then).

``end_at`` is the one rule, for every reader (``booking.rules``: availability,
the pages, the fast refusal of full slots, the booking services): it honours
the drawn moment itself, so readers agree on the second even before the
periodic task (``horizons_advance``, every minute) writes the step down and
marks availability out of date. A procedure without a row (new, not yet seen
by the task) or whose ``horizon_days`` changed since the draw counts as
released up to the end of day ``today + horizon_days - 1``.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from booking import availability_cache
from booking.models import Horizon, Procedure


class HorizonState(NamedTuple):
    """A ``Horizon`` row's values, read off a joined row without an instance."""

    horizon_days: int
    released_until: datetime
    next_release_at: datetime
    next_released_until: datetime


def _midnight(day: date) -> datetime:
    """The local midnight that starts ``day``."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _release_hours() -> tuple[int, int]:
    return getattr(settings, "GUICHET_HORIZON_RELEASE_HOURS", (8, 18))


def release_moment_draw(day: date) -> datetime:
    """A moment of local ``day`` within the release hours, drawn at random."""
    start_hour, end_hour = _release_hours()
    start = _midnight(day) + timedelta(hours=start_hour)
    end = _midnight(day) + timedelta(hours=end_hour)
    return start + timedelta(seconds=secrets.randbelow(int((end - start).total_seconds())))


def end_at(*, horizon_days: int, row: Horizon | HorizonState | None, now: datetime) -> datetime:
    """Slots starting before this moment are within the horizon at ``now``.

    ``row`` is the procedure's ``Horizon`` (``None``: none yet), ``horizon_days``
    the procedure's own."""
    if row is None or row.horizon_days != horizon_days:
        return _midnight(timezone.localdate(now) + timedelta(days=horizon_days))
    if now >= row.next_release_at:
        if now - row.next_release_at >= timedelta(days=1):
            # The periodic task has not written a step for a day (beat down):
            # release as the old rolling rule did rather than stop releasing.
            rolling = _midnight(timezone.localdate(now) + timedelta(days=horizon_days))
            return max(row.next_released_until, rolling)
        return row.next_released_until
    return row.released_until


def of(procedure: Procedure) -> Horizon | None:
    """The procedure's row: cached if read with it (``select_related("horizon")``,
    the booking's slot read), else one query."""
    try:
        return procedure.horizon
    except ObjectDoesNotExist:
        return None


def next_change(procedure: Procedure, now: datetime) -> datetime | None:
    """When the horizon next moves by itself, if that is known: for the
    availability cache's expiry only, never to be shown."""
    row = of(procedure)
    if row is None or row.horizon_days != procedure.horizon_days or now >= row.next_release_at:
        return None
    return row.next_release_at


def _initial(procedure: Procedure, now: datetime) -> Horizon:
    """Released up to the end of day ``today + horizon_days - 1``; the next day
    at a moment of today's release hours."""
    today = timezone.localdate(now)
    days = procedure.horizon_days
    return Horizon(
        procedure=procedure,
        horizon_days=days,
        released_until=_midnight(today + timedelta(days=days)),
        next_release_at=release_moment_draw(today),
        next_released_until=_midnight(today + timedelta(days=days + 1)),
    )


def _advance(row: Horizon, now: datetime) -> bool:
    """Take every step whose moment has passed; draw the next. Whether it moved."""
    moved = False
    while now >= row.next_release_at:
        row.released_until = row.next_released_until
        day = timezone.localdate(row.released_until)  # the next day to release
        row.next_release_at = release_moment_draw(day - timedelta(days=row.horizon_days))
        row.next_released_until = _midnight(day + timedelta(days=1))
        moved = True
    return moved


def horizons_advance(*, now: datetime | None = None) -> list[str]:
    """Write down the steps due (Celery beat, every minute): give every procedure
    its row, redraw a row whose ``horizon_days`` changed, advance the rows whose
    moment has passed, and mark their availability out of date. Returns the
    slugs of the procedures whose horizon moved; idempotent."""
    now = now or timezone.now()
    moved: list[str] = []
    with transaction.atomic():
        procedures = list(Procedure.objects.order_by("pk"))
        rows = {row.pk: row for row in Horizon.objects.select_for_update().order_by("pk")}
        new = []
        for procedure in procedures:
            row = rows.get(procedure.pk)
            if row is None or row.horizon_days != procedure.horizon_days:
                fresh = _initial(procedure, now)
                _advance(fresh, now)
                if row is None:
                    new.append(fresh)
                else:
                    fresh.save()
                moved.append(procedure.slug)
            elif _advance(row, now):
                row.save(update_fields=["released_until", "next_release_at", "next_released_until"])
                moved.append(procedure.slug)
        # A concurrent run may have created some: theirs stand.
        Horizon.objects.bulk_create(new, ignore_conflicts=True)
        if moved:
            availability_cache.capacity_changed(moved)
    return moved
