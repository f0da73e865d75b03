"""Demo data for closures: a strike closing one site's afternoon, with the demo
applicant's appointment there cancelled by it (their messages owed, their
priority right granted), as an agent would do it (``booking.services``).

Idempotent: once a closure exists at the site, nothing more is done.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from booking.models import Applicant, Closure, ClosureKind, Pool, Site, Slot
from booking.services import appointment_book, closure_create
from core.errors import DomainError

REASON = "Mouvement social : l’accueil des étrangers est fermé cet après-midi."  # noqa: RUF001


def closures_demo_ensure(*, agent: User, site: Site, applicant: Applicant | None) -> Closure | None:
    """Close ``site``'s afternoon on the first day with capacity 10 to 17 days
    ahead (none: nothing), after booking ``applicant`` there. Returns the closure."""
    if Closure.objects.filter(site=site).exists():
        return None
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    first = (
        Slot.objects.filter(
            site=site,
            pool=Pool.PUBLIC,
            closure__isnull=True,
            starts_at__gte=datetime.combine(today + timedelta(days=10), time(14), tzinfo=tz),
            starts_at__lt=datetime.combine(today + timedelta(days=17), time.min, tzinfo=tz),
        )
        .order_by("starts_at")
        .first()
    )
    if first is None:
        return None
    day = timezone.localdate(first.starts_at)
    starts_at = datetime.combine(day, time(14), tzinfo=tz)
    ends_at = datetime.combine(day, time(18), tzinfo=tz)
    if applicant is not None:
        _book_one(agent=agent, applicant=applicant, site=site, starts_at=starts_at, ends_at=ends_at)
    return closure_create(
        actor=agent,
        site=site,
        starts_at=starts_at,
        ends_at=ends_at,
        kind=ClosureKind.STRIKE,
        reason=REASON,
    )


def _book_one(
    *, agent: User, applicant: Applicant, site: Site, starts_at: datetime, ends_at: datetime
) -> None:
    """Book ``applicant`` on the first slot of the afternoon the rules allow (a
    procedure they have no appointment for, that takes their document)."""
    free = Slot.objects.filter(
        site=site, pool=Pool.PUBLIC, starts_at__gte=starts_at, starts_at__lt=ends_at
    ).order_by("starts_at", "pk")
    for slot in free:
        # Refused (already booked for that procedure, another document): the next.
        with suppress(DomainError):
            appointment_book(actor=agent, applicant=applicant, slot_id=slot.pk, channel="agent")
            return
