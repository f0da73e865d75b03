"""Putting capacity online: one slot row per time and pool."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Required, TypedDict, Unpack
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from booking import availability_cache, errors, rules, signals
from booking.models import (
    Pool,
    Procedure,
    Publication,
    Site,
    Slot,
)
from booking.permissions import can_publish

MAX_PUBLICATION_DAYS = 366

# --- Publishing capacity ---------------------------------------------------------


@dataclass(frozen=True)
class OpeningRange:
    start: time
    end: time


@dataclass(frozen=True)
class PublicationResult:
    publication: Publication
    created: int
    skipped: int


def _publication_invalid(message) -> errors.InvalidPublication:
    return errors.InvalidPublication(message)


def _validate_publication(
    *,
    date_from: date,
    date_to: date,
    weekdays: set[int],
    ranges: Sequence[OpeningRange],
    slot_minutes: int,
    counters: int,
    mediation_counters: int,
    priority_counters: int,
    visible_at: datetime | None,
    visible_until: datetime | None,
    today: date,
) -> None:
    if date_to < date_from:
        raise _publication_invalid(_("The end date is before the start date."))
    if date_from < today:
        raise _publication_invalid(_("Capacity cannot be published for past dates."))
    if (date_to - date_from).days >= MAX_PUBLICATION_DAYS:
        raise _publication_invalid(_("A publication covers at most one year."))
    if not weekdays or not weekdays <= set(range(7)):
        raise _publication_invalid(_("Choose at least one weekday (0 = Monday … 6 = Sunday)."))
    if not ranges:
        raise _publication_invalid(_("Give at least one opening range."))
    if slot_minutes <= 0 or slot_minutes > 480:
        raise _publication_invalid(_("The slot length must be between 1 and 480 minutes."))
    ordered = sorted(ranges, key=lambda r: r.start)
    for rng in ordered:
        if rng.end <= rng.start:
            raise _publication_invalid(_("An opening range ends before it starts."))
        length = datetime.combine(today, rng.end) - datetime.combine(today, rng.start)
        if length < timedelta(minutes=slot_minutes):
            raise _publication_invalid(_("An opening range is shorter than one slot."))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise _publication_invalid(_("Opening ranges overlap."))
    if counters < 1 or counters > 200:
        raise _publication_invalid(_("The number of counters must be between 1 and 200."))
    if mediation_counters < 0 or priority_counters < 0:
        raise _publication_invalid(_("Reserved counters cannot be negative."))
    if mediation_counters + priority_counters > counters:
        raise _publication_invalid(_("More counters are reserved than there are counters."))
    if visible_until is not None and (visible_at is None or visible_until < visible_at):
        raise _publication_invalid(_("A random visibility window needs a start before its end."))


def _visibility_moment(
    visible_at: datetime | None, visible_until: datetime | None, now: datetime
) -> datetime:
    """The chosen moment, or one drawn at random in the window (to beat bots that
    poll at the usual hour)."""
    start = visible_at or now
    if visible_until is None or visible_until == start:
        return start
    span = int((visible_until - start).total_seconds())
    return start + timedelta(seconds=secrets.randbelow(span + 1))


def _slot_starts(
    *,
    date_from: date,
    date_to: date,
    weekdays: set[int],
    ranges: Sequence[OpeningRange],
    slot_minutes: int,
    tz: ZoneInfo,
) -> Iterable[tuple[datetime, datetime]]:
    step = timedelta(minutes=slot_minutes)
    day = date_from
    while day <= date_to:
        if day.weekday() in weekdays:
            for rng in ranges:
                # Step in UTC, not on the local clock: on a DST change day a local
                # range lasts an hour less or more, and stepping the clock would
                # start slots twice or skip an hour. Each lasts ``slot_minutes``.
                start = datetime.combine(day, rng.start, tzinfo=tz).astimezone(UTC)
                end_of_range = datetime.combine(day, rng.end, tzinfo=tz).astimezone(UTC)
                while start + step <= end_of_range:
                    yield start, start + step
                    start += step
        day += timedelta(days=1)


@dataclass(frozen=True)
class PublicationPlan:
    """What a publication would create, checked: the pools' seats per time, the
    times to come (``(start, end)``, UTC, in order) and when the slots appear.
    ``visible_until`` set: at a moment drawn in ``[visible_at, visible_until]``
    when published, never before (and never shown before it passes)."""

    site: Site
    procedure: Procedure
    date_from: date
    date_to: date
    weekdays: frozenset[int]
    opening_ranges: tuple[OpeningRange, ...]
    slot_minutes: int
    counters: int
    mediation_counters: int
    priority_counters: int
    visible_at: datetime | None
    visible_until: datetime | None
    pools: tuple[tuple[str, int], ...]
    times: tuple[tuple[datetime, datetime], ...]

    @property
    def random_window(self) -> bool:
        return self.visible_until is not None and self.visible_until != self.visible_at

    def parameters(self) -> dict:
        return {
            "weekdays": sorted(self.weekdays),
            "opening_ranges": [
                [r.start.isoformat(), r.end.isoformat()] for r in self.opening_ranges
            ],
            "slot_minutes": self.slot_minutes,
            "counters": self.counters,
            "mediation_counters": self.mediation_counters,
            "priority_counters": self.priority_counters,
        }


class PublicationParameters(TypedDict, total=False):
    """What a publication is asked with: the keyword arguments of
    ``publication_plan`` (its defaults) that ``slots_publish`` and
    ``publication_preview`` pass on to it."""

    site: Required[Site]
    procedure: Required[Procedure]
    date_from: Required[date]
    date_to: Required[date]
    weekdays: Required[Iterable[int]]
    opening_ranges: Required[Sequence[OpeningRange]]
    counters: Required[int]
    slot_minutes: int | None
    mediation_counters: int
    priority_counters: int
    visible_at: datetime | None
    visible_until: datetime | None


def publication_parameters(values: Mapping[str, Any], **changes: Any) -> PublicationParameters:
    """The parameters of a publication picked from checked input (a form's
    ``cleaned_data``, a serializer's ``validated_data``: one missing is ``None``),
    ``changes`` put in their place."""
    picked = {name: values.get(name) for name in PublicationParameters.__annotations__}
    return PublicationParameters(**{**picked, **changes})


def publication_plan(
    *,
    actor: User,
    site: Site,
    procedure: Procedure,
    date_from: date,
    date_to: date,
    weekdays: Iterable[int],
    opening_ranges: Sequence[OpeningRange],
    counters: int,
    slot_minutes: int | None = None,
    mediation_counters: int = 0,
    priority_counters: int = 0,
    visible_at: datetime | None = None,
    visible_until: datetime | None = None,
    now: datetime | None = None,
) -> PublicationPlan:
    """Check a publication (who, what) and compute its times; writes nothing.
    The one computation behind ``slots_publish`` and ``publication_preview``."""
    if not can_publish(actor, site):
        raise errors.NotAllowed(_("You may only publish capacity for your own sites."))
    now = now or timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    length = slot_minutes if slot_minutes is not None else procedure.duration_minutes
    weekday_set = frozenset(weekdays)
    ranges = tuple(sorted(opening_ranges, key=lambda r: r.start))
    _validate_publication(
        date_from=date_from,
        date_to=date_to,
        weekdays=set(weekday_set),
        ranges=ranges,
        slot_minutes=length,
        counters=counters,
        mediation_counters=mediation_counters,
        priority_counters=priority_counters,
        visible_at=visible_at,
        visible_until=visible_until,
        today=timezone.localdate(now),
    )
    pools = [
        # The public counters: the open calendar, or the waiting list's pool
        # where the procedure's capacity at this site is given out by its list.
        (
            rules.public_pool(procedure.pk, site.pk),
            counters - mediation_counters - priority_counters,
        ),
        (Pool.MEDIATION.value, mediation_counters),
        (Pool.PRIORITY.value, priority_counters),
    ]
    times = tuple(
        (start, end)
        for start, end in _slot_starts(
            date_from=date_from,
            date_to=date_to,
            weekdays=set(weekday_set),
            ranges=ranges,
            slot_minutes=length,
            tz=tz,
        )
        if start > now
    )
    return PublicationPlan(
        site=site,
        procedure=procedure,
        date_from=date_from,
        date_to=date_to,
        weekdays=weekday_set,
        opening_ranges=ranges,
        slot_minutes=length,
        counters=counters,
        mediation_counters=mediation_counters,
        priority_counters=priority_counters,
        visible_at=visible_at,
        visible_until=visible_until,
        pools=tuple((pool, seats) for pool, seats in pools if seats > 0),
        times=times,
    )


def existing_starts(plan: PublicationPlan) -> list[tuple[datetime, datetime]]:
    """The (start, end) of the slots already at the plan's site and procedure
    between its first and last start: one query."""
    if not plan.times:
        return []
    return list(
        Slot.objects.filter(
            site=plan.site,
            procedure=plan.procedure,
            starts_at__gte=plan.times[0][0],
            starts_at__lte=plan.times[-1][0],
        )
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
        .distinct()
    )


def slots_publish(*, actor: User, **asked: Unpack[PublicationParameters]) -> PublicationResult:
    """Put capacity online for ``site`` and ``procedure``.

    One slot row per time and pool (public, mediation, priority) whose
    capacity is that pool's number of counters. A start that already has
    slots for the same site and procedure (in any pool) is left alone:
    publishing the same window twice creates nothing twice.

    With a random window (``visible_until``), the moment drawn is kept in
    ``Publication.visible_at`` and the slots' ``published_at`` only: the audit
    row and ``Publication.parameters`` hold the window, never the moment.
    """
    now = timezone.now()
    plan = publication_plan(actor=actor, now=now, **asked)
    site, procedure, date_from, date_to = plan.site, plan.procedure, plan.date_from, plan.date_to
    visible_at, visible_until = plan.visible_at, plan.visible_until
    published_at = _visibility_moment(visible_at, visible_until, now)
    pools = list(plan.pools)
    times = list(plan.times)
    parameters = plan.parameters()
    if plan.random_window:
        parameters["visible_window"] = [visible_at.isoformat(), visible_until.isoformat()]
    with transaction.atomic():
        # Publications for one site take turns: two concurrent ones with different
        # pool splits must not both find a time free and both add seats to it.
        list(Site.objects.select_for_update().filter(pk=site.pk).values_list("pk", flat=True))
        publication = Publication.objects.create(
            site=site,
            procedure=procedure,
            created_by=actor,
            created_at=now,
            visible_at=published_at,
            date_from=date_from,
            date_to=date_to,
            parameters=parameters,
        )
        # A time already published keeps its seats, in whatever pools: publishing
        # it again with another split must not add seats beyond its counters.
        existing = {start for start, _end in existing_starts(plan)}
        new_slots = [
            Slot(
                site=site,
                procedure=procedure,
                publication=publication,
                starts_at=start,
                ends_at=end,
                pool=pool,
                capacity=capacity,
                published_at=published_at,
            )
            for start, end in times
            for pool, capacity in pools
            if start not in existing
        ]
        # ignore_conflicts covers a concurrent publication of the same window.
        Slot.objects.bulk_create(new_slots, batch_size=2000, ignore_conflicts=True)
        availability_cache.capacity_changed([procedure.slug])
        totals = Slot.objects.filter(publication=publication).aggregate(
            slots=Count("pk"), seats=Sum("capacity")
        )
        created = totals["slots"]
        publication.slots_created = created
        publication.seats_created = totals["seats"] or 0
        publication.save(update_fields=["slots_created", "seats_created"])
        if created and Pool.QUEUE in dict(pools) and published_at <= now:
            # Visible now: the waiting list is offered it once this commits (a
            # later moment: the list's sweep finds it then).
            signals.queue_capacity_changed.send(sender=Slot, procedure_ids=[procedure.pk], now=now)
        audit_record(
            actor=actor,
            action=AuditAction.SLOTS_PUBLISHED,
            details={
                "publication": publication.pk,
                "site": site.slug,
                "procedure": procedure.slug,
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                **(
                    {"visible_window": parameters["visible_window"]}
                    if plan.random_window
                    else {"visible_at": published_at.isoformat()}
                ),
                "pools": dict(pools),
                "slots_created": created,
                "seats_created": publication.seats_created,
                "skipped": len(times) * len(pools) - created,
            },
        )
    return PublicationResult(
        publication=publication, created=created, skipped=len(times) * len(pools) - created
    )
