"""Reads that more than one caller needs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from itertools import groupby

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from booking import rules
from booking.models import (
    ACTIVE_STATUSES,
    Applicant,
    Appointment,
    AppointmentStatus,
    Pool,
    PriorityRight,
    Procedure,
    Site,
    Slot,
)
from booking.permissions import allowed_pools, managed_sites, visible_appointments


def availability_window(
    procedure: Procedure,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime,
    counter: bool = False,
) -> tuple[datetime, datetime | None, bool]:
    """The starts a query of availability covers now (``booking.rules.availability_window``)."""
    return rules.availability_window(
        procedure, date_from=date_from, date_to=date_to, now=now, counter=counter
    )


def availability(
    *,
    procedure: Procedure,
    site_ids: Iterable[int] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    pools: Iterable[str] = ("public",),
    now: datetime | None = None,
    include_unpublished: bool = False,
    counter: bool = False,
) -> QuerySet[Slot]:
    """Bookable slots: visible, not full, inside the procedure's booking window.

    One query on ``slot_availability_idx``; ordered by start time then site.
    ``include_unpublished``: also the slots not visible yet, for a caller that
    wants to know when they will be (and leaves them out itself). ``counter``:
    the counter's window instead of the online one (``booking.rules``: any
    published slot not yet started, no horizon).
    """
    now = now or timezone.now()
    earliest, latest, _moving = availability_window(
        procedure, date_from=date_from, date_to=date_to, now=now, counter=counter
    )
    slots = Slot.objects.filter(
        procedure=procedure,
        pool__in=list(pools),
        starts_at__gte=earliest,
        capacity__gt=F("booked") + F("held"),
        site__is_active=True,
    )
    if latest is not None:
        slots = slots.filter(starts_at__lt=latest)
    if not include_unpublished:
        slots = slots.filter(published_at__lte=now)
    if site_ids is not None:
        slots = slots.filter(site_id__in=list(site_ids))
    return slots.select_related("site").order_by("starts_at", "site_id", "pool")


def availability_next_entry(
    *,
    procedure: Procedure,
    site_ids: Iterable[int] | None = None,
    date_to: date | None = None,
    pools: Iterable[str] = ("public",),
    now: datetime,
    within: timedelta,
) -> datetime | None:
    """When, within ``within`` from ``now``, the horizon's next step brings in a
    slot: the moment a query of availability gains a row with no write. ``None``
    if none does (or the window ends at ``date_to``). The moment is secret until
    it passes (``booking.horizon``): it only sets when a kept answer expires."""
    _earliest, latest, moving = availability_window(procedure, date_to=date_to, now=now)
    step = rules.horizon_step(procedure, now) if moving else None
    if step is None or step[0] > now + within:
        return None
    step_at, until = step
    if date_to is not None:
        tz = timezone.get_current_timezone()
        until = min(until, datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    slots = Slot.objects.filter(
        procedure=procedure, pool__in=list(pools), starts_at__gte=latest, starts_at__lt=until
    )
    if site_ids is not None:
        slots = slots.filter(site_id__in=list(site_ids))
    return step_at if slots.exists() else None


def pools_for(
    user: User, *, procedure: Procedure | None = None, now: datetime | None = None
) -> frozenset[str]:
    """The pools whose slots ``user`` sees as bookable (applicants: public only).
    With ``procedure``, also its priority pool while the user, an applicant,
    holds a priority right for it (``booking.rules.priority_right_held``: one query)."""
    if not user.is_authenticated:
        return frozenset({"public"})
    pools = allowed_pools(user)
    if (
        procedure is not None
        and Pool.PRIORITY not in pools
        and rules.priority_right_held(user, procedure.pk, now or timezone.now())
    ):
        return pools | {Pool.PRIORITY.value}
    return pools


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
        .select_related("slot__site", "procedure__horizon")
        .order_by("-slot__starts_at")
    )


# --- The counter ---------------------------------------------------------------------


def counter_sites(user: User) -> QuerySet[Site]:
    """The sites whose day's list ``user`` may see (agents: theirs; supervisors: all)."""
    return Site.objects.filter(managed_sites(user)).order_by("name", "pk")


def counter_site(user: User, slug: str) -> Site | None:
    """The site ``slug`` if ``user`` works there; ``None`` answers as missing."""
    if not isinstance(slug, str) or not slug or len(slug) > 50 or "\x00" in slug:
        return None
    return counter_sites(user).filter(slug=slug).first()


def counter_day(
    *,
    site: Site,
    day: date,
    procedure: str | None = None,
    status: str | None = None,
    channel: str | None = None,
) -> QuerySet[Appointment]:
    """The appointments of ``site`` on ``day`` (local), by time: one query with
    their slot, procedure and access point, whatever their number. Cancelled
    ones only when ``status`` asks for them. ``procedure`` is a slug."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    appointments = Appointment.objects.filter(
        slot__site=site, slot__starts_at__gte=start, slot__starts_at__lt=end
    )
    if status:
        appointments = appointments.filter(status=status)
    else:
        appointments = appointments.exclude(status=AppointmentStatus.CANCELLED)
    if procedure:
        appointments = appointments.filter(procedure__slug=procedure)
    if channel:
        appointments = appointments.filter(channel=channel)
    return appointments.select_related("slot__site", "procedure", "access_point").order_by(
        "slot__starts_at", "surname", "pk"
    )


def priority_rights_of(user: User, now: datetime) -> QuerySet[PriorityRight]:
    """The priority rights ``user`` (an applicant) may still use, with their
    procedure and the closure that gave them (its reason)."""
    if not user.is_authenticated:
        return PriorityRight.objects.none()
    return (
        PriorityRight.objects.filter(
            applicant__user_id=user.pk, used_at__isnull=True, valid_until__gt=now
        )
        .select_related("procedure", "closure")
        .order_by("valid_until", "pk")
    )


_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def priority_pool_for(user: User, procedure_slug: str | None) -> frozenset[str]:
    """``{"priority"}`` if ``user`` may see the priority pool of the procedure
    named ``procedure_slug`` (agents; an applicant holding a valid priority
    right for it), else nothing: availability asked for that pool only."""
    if not user.is_authenticated:
        return frozenset()
    if Pool.PRIORITY in allowed_pools(user):
        return frozenset({Pool.PRIORITY.value})
    if not isinstance(procedure_slug, str) or not _SLUG.fullmatch(procedure_slug):
        return frozenset()  # junk (a NUL byte would be PostgreSQL's 500): unknown
    procedure_id = (
        Procedure.objects.filter(slug=procedure_slug).values_list("pk", flat=True).first()
    )
    if procedure_id is None or not rules.priority_right_held(user, procedure_id, timezone.now()):
        return frozenset()
    return frozenset({Pool.PRIORITY.value})


def active_by_procedure(applicant: Applicant) -> dict[int, Appointment]:
    """``applicant``'s active appointments by procedure id (one at most each),
    with their reference only: what the choice of a procedure shows. One query."""
    return {
        appointment.procedure_id: appointment
        for appointment in Appointment.objects.filter(
            applicant=applicant, status__in=ACTIVE_STATUSES
        ).only("procedure_id", "reference")
    }
