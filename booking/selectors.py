"""Reads that more than one caller needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from itertools import groupby

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.permissions import allowed_pools, visible_appointments
from booking.models import Appointment, Procedure, Slot


def availability(
    *,
    procedure: Procedure,
    site_ids: Iterable[int] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    pools: Iterable[str] = ("public",),
    now: datetime | None = None,
) -> QuerySet[Slot]:
    """Bookable slots: visible, not full, inside the procedure's booking window.

    One query on ``slot_availability_idx``; ordered by start time then site.
    """
    now = now or timezone.now()
    earliest = now + timedelta(hours=procedure.cutoff_hours)
    latest = now + timedelta(days=procedure.horizon_days)
    tz = timezone.get_current_timezone()
    if date_from is not None:
        earliest = max(earliest, datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to is not None:
        latest = min(latest, datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    slots = Slot.objects.filter(
        procedure=procedure,
        pool__in=list(pools),
        starts_at__gte=earliest,
        starts_at__lt=latest,
        published_at__lte=now,
        booked__lt=F("capacity"),
        site__is_active=True,
    )
    if site_ids is not None:
        slots = slots.filter(site_id__in=list(site_ids))
    return slots.select_related("site").order_by("starts_at", "site_id", "pool")


def pools_for(user: User) -> frozenset[str]:
    """The pools whose slots ``user`` sees as bookable (applicants: public only)."""
    if not user.is_authenticated:
        return frozenset({"public"})
    return allowed_pools(user)


def by_day(slots: Iterable[Slot]) -> list[tuple[date, list[Slot]]]:
    """Group slots (ordered by start) by local calendar day, for the pages."""
    return [
        (day, list(group))
        for day, group in groupby(slots, key=lambda s: timezone.localdate(s.starts_at))
    ]


def appointments_for(user: User) -> QuerySet[Appointment]:
    """The appointments ``user`` may see, with what the pages and API show."""
    return (
        Appointment.objects.filter(visible_appointments(user))
        .select_related("slot__site", "procedure")
        .order_by("-slot__starts_at")
    )
