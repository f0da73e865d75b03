"""The booking calendar the pages show: a week of days with free counts, the
free times of a day, the sites that still have room. Reads only; shared by the
applicant's pages, the mediators' console and the agents' pages (with the
counter's window, ``counter=True``: ``booking.rules.availability_window``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.validators import slug_re
from django.db.models import Count, Max, Min
from django.utils import timezone

from booking import rules
from booking.models import Procedure, Site, Slot
from booking.selectors import availability, by_day


def parse_date(value: str | None) -> date | None:
    """An ISO date from the query string, or None when it is missing or malformed."""
    if not value or len(value) > 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class BookingWindow:
    """The days on which ``procedure`` may be booked now (``booking.rules``:
    online, the cut-off and the horizon; at the counter, from today to the day
    of ``last_start``, the last free time published, today if none)."""

    today: date
    first_day: date
    last_day: date

    @classmethod
    def of(
        cls,
        procedure: Procedure,
        now: datetime,
        *,
        counter: bool = False,
        last_start: datetime | None = None,
    ) -> BookingWindow:
        first = rules.earliest_start(procedure, now, counter=counter)
        _earliest, latest, _moving = rules.availability_window(procedure, now=now, counter=counter)
        if latest is None:  # the counter's: no horizon
            last_day = timezone.localdate(max(last_start or first, first))
        else:
            # The last day with a start before the horizon's end (booking.horizon).
            last_day = timezone.localdate(latest - timedelta(microseconds=1))
        return cls(
            today=timezone.localdate(now),
            first_day=timezone.localdate(first),
            last_day=last_day,
        )

    def clamp(self, day: date) -> date:
        return min(max(day, self.first_day), self.last_day)


@dataclass
class DayCell:
    day: date
    free: int
    open: bool


@dataclass
class Week:
    start: date
    days: list[DayCell]
    previous: date | None
    next: date | None
    next_free_day: date | None = None
    nothing_at_site: bool = False
    end: date = field(init=False)

    def __post_init__(self) -> None:
        self.end = self.start + timedelta(days=6)

    @property
    def is_empty(self) -> bool:
        return not any(cell.free for cell in self.days)


def build_week(
    *,
    procedure: Procedure,
    site: Site,
    requested: date | None,
    pools,
    now: datetime,
    exclude_slot_id: int | None = None,
    counter: bool = False,
) -> Week:
    """The week to show for ``site``: the requested one (clamped to the booking
    window), or by default the week of the first free time. Two queries, four
    when the week is empty (to point at the next free day, or say there is none);
    with the counter's window, whose last free time ends it, one more when a
    week is asked for (the first and the last are read together)."""
    slots = availability(
        procedure=procedure, site_ids=[site.pk], pools=pools, now=now, counter=counter
    )
    if exclude_slot_id is not None:
        slots = slots.exclude(pk=exclude_slot_id)
    first = last_start = None
    if counter:
        bounds = slots.order_by().aggregate(first=Min("starts_at"), last=Max("starts_at"))
        first, last_start = bounds["first"], bounds["last"]
    elif requested is None:
        first = slots.values_list("starts_at", flat=True).first()
    window = BookingWindow.of(procedure, now, counter=counter, last_start=last_start)
    if requested is None:
        requested = timezone.localdate(first) if first else window.first_day
    start = _monday(window.clamp(requested))
    end = start + timedelta(days=6)
    in_week = slots.filter(
        starts_at__gte=_day_start(start), starts_at__lt=_day_start(end + timedelta(days=1))
    )
    free_by_day = {day: len(day_slots) for day, day_slots in by_day(in_week)}
    days = [
        DayCell(
            day=start + timedelta(days=offset),
            free=free_by_day.get(start + timedelta(days=offset), 0),
            open=window.first_day <= start + timedelta(days=offset) <= window.last_day,
        )
        for offset in range(7)
    ]
    week = Week(
        start=start,
        days=days,
        previous=start - timedelta(days=7) if start > _monday(window.first_day) else None,
        next=start + timedelta(days=7) if end < window.last_day else None,
    )
    if week.is_empty:
        later = (
            slots.filter(starts_at__gte=_day_start(end + timedelta(days=1)))
            .values_list("starts_at", flat=True)
            .first()
        )
        week.next_free_day = timezone.localdate(later) if later else None
        week.nothing_at_site = later is None and not slots.exists()
    return week


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def day_slots(
    *,
    procedure: Procedure,
    site: Site,
    day: date,
    pools,
    now: datetime,
    exclude_slot_id: int | None = None,
    counter: bool = False,
) -> list[Slot]:
    """The free times of ``day``; none (and no query) outside the booking window
    (at the counter, before today: it has no last day)."""
    window = BookingWindow.of(procedure, now, counter=counter)
    if day < window.first_day or (not counter and day > window.last_day):
        return []
    slots = availability(
        procedure=procedure,
        site_ids=[site.pk],
        date_from=day,
        date_to=day,
        pools=pools,
        now=now,
        counter=counter,
    )
    if exclude_slot_id is not None:
        slots = slots.exclude(pk=exclude_slot_id)
    return list(slots)


def sites_with_availability(
    *,
    procedure: Procedure,
    pools,
    now: datetime,
    exclude_site_id: int | None = None,
    counter: bool = False,
) -> list[dict]:
    """Sites with at least one free time for ``procedure``, soonest first. One query."""
    slots = availability(procedure=procedure, pools=pools, now=now, counter=counter)
    if exclude_site_id is not None:
        slots = slots.exclude(site_id=exclude_site_id)
    return list(
        slots.order_by()
        .values("site__slug", "site__name", "site__address", "site__postcode", "site__city")
        .annotate(free=Count("pk"), first=Min("starts_at"))
        .order_by("first", "site__name")
    )


@dataclass
class RescheduleChoice:
    """What a reschedule page shows: the site looked at, the sites that have
    room, its week and, when a day is asked for, that day's free times (the
    appointment's own slot left out)."""

    site: Site
    sites: list[dict]
    week: Week
    day: date | None
    slots: list[Slot]


def reschedule_choice(
    appointment, *, pools, query, now: datetime, counter: bool = False
) -> RescheduleChoice:
    """The choice of a new time for ``appointment`` (with its slot, site and
    procedure loaded), from the page's query: ``site`` (a slug; the current
    site when missing, malformed or closed), ``from`` (the week) and ``date``
    (the day). Shared by the applicant's, the mediators' and (``counter``) the
    agents' reschedule pages."""
    procedure = appointment.procedure
    site = appointment.slot.site
    site_slug = query.get("site")
    if site_slug and site_slug != site.slug and slug_re.match(site_slug):
        site = Site.objects.filter(slug=site_slug[:50], is_active=True).first() or site
    exclude = appointment.slot_id
    week = build_week(
        procedure=procedure,
        site=site,
        requested=parse_date(query.get("from")),
        pools=pools,
        now=now,
        exclude_slot_id=exclude,
        counter=counter,
    )
    day = parse_date(query.get("date"))
    slots = (
        day_slots(
            procedure=procedure,
            site=site,
            day=day,
            pools=pools,
            now=now,
            exclude_slot_id=exclude,
            counter=counter,
        )
        if day
        else []
    )
    return RescheduleChoice(
        site=site,
        sites=sites_with_availability(procedure=procedure, pools=pools, now=now, counter=counter),
        week=week,
        day=day,
        slots=slots,
    )
