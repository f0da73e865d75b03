"""Capacity in the back office: what a publication would create (the preview),
a slot's capacity changed, free counters moved from one pool to another.

Closing slots, days and ranges (cancelling what is booked) is not here: a
change of capacity never touches an appointment. ``Slot.booked`` is changed by
bookings only; here the capacity moves, by conditional UPDATEs that refuse to
go below what is booked at the moment they run (the CHECK constraint
``booked <= capacity`` is the last word). Lock order as in
``booking.services.appointments``: the site row first when it is locked (a
move, like a publication), then slot rows in primary-key order.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Unpack

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from booking import availability_cache, errors, rules
from booking.models import Pool, Procedure, Site, Slot
from booking.permissions import works_at
from booking.services.publications import (
    PublicationParameters,
    PublicationPlan,
    existing_starts,
    publication_plan,
)

# The most counters one slot may hold (as a publication's counters).
MAX_CAPACITY = 200
POOLS = tuple(Pool.values)

# --- The preview of a publication -------------------------------------------------------


@dataclass
class PreviewDay:
    day: date
    # pool -> [slots, seats] that would be created
    pools: dict[str, list[int]] = field(default_factory=dict)
    # times of the day that already have slots (left alone) / that overlap one
    clashes: int = 0
    overlaps: int = 0

    @property
    def slots(self) -> int:
        return sum(slots for slots, _seats in self.pools.values())

    @property
    def seats(self) -> int:
        return sum(seats for _slots, seats in self.pools.values())

    def pool(self, name: str) -> tuple[int, int]:
        slots, seats = self.pools.get(name, (0, 0))
        return slots, seats


@dataclass
class PublicationPreview:
    """What ``slots_publish`` would create with the same parameters, now: per day
    and pool, slots and seats; the times it would leave alone because slots
    already start then (``clashes``), and the new times that overlap existing
    slots starting at another time (``overlaps``: created anyway)."""

    plan: PublicationPlan
    days: list[PreviewDay]

    @property
    def slots(self) -> int:
        return sum(day.slots for day in self.days)

    @property
    def seats(self) -> int:
        return sum(day.seats for day in self.days)

    @property
    def times(self) -> int:
        return len(self.plan.times)

    @property
    def clashes(self) -> int:
        return sum(day.clashes for day in self.days)

    @property
    def overlaps(self) -> int:
        return sum(day.overlaps for day in self.days)

    @property
    def clash_days(self) -> list[date]:
        return [day.day for day in self.days if day.clashes]

    @property
    def overlap_days(self) -> list[date]:
        return [day.day for day in self.days if day.overlaps]

    def pool_totals(self) -> dict[str, tuple[int, int]]:
        totals: dict[str, list[int]] = {pool: [0, 0] for pool, _seats in self.plan.pools}
        for day in self.days:
            for pool, (slots, seats) in day.pools.items():
                totals[pool][0] += slots
                totals[pool][1] += seats
        return {pool: (slots, seats) for pool, (slots, seats) in totals.items()}


def publication_preview(
    *, actor: User, **asked: Unpack[PublicationParameters]
) -> PublicationPreview:
    """What ``slots_publish`` would create with these parameters; writes nothing.
    The same checks and refusals (``publication_plan``), then one query: the
    slots already there between the first and the last start."""
    plan = publication_plan(actor=actor, **asked)
    existing = existing_starts(plan)
    taken = {start for start, _end in existing}
    starts = [start for start, _end in existing]
    # The latest end among the slots starting up to each one: does a new time
    # [start, end) overlap an existing slot? (slots may have various lengths)
    reach: list[datetime] = []
    for _start, end in existing:
        reach.append(max(end, reach[-1]) if reach else end)
    days: dict[date, PreviewDay] = {}
    for start, end in plan.times:
        day = timezone.localdate(start)
        entry = days.setdefault(day, PreviewDay(day=day))
        if start in taken:
            entry.clashes += 1
            continue
        before = bisect_right(starts, start)  # existing slots starting at or before ``start``
        ends_after = bool(before) and reach[before - 1] > start
        starts_within = before < len(starts) and starts[before] < end
        if ends_after or starts_within:
            entry.overlaps += 1
        for pool, seats in plan.pools:
            counts = entry.pools.setdefault(pool, [0, 0])
            counts[0] += 1
            counts[1] += seats
    return PublicationPreview(plan=plan, days=sorted(days.values(), key=lambda d: d.day))


# --- Changing a slot's capacity -----------------------------------------------------------


def _managed_slot(actor: User, slot_id: int, *, lock: bool = False) -> Slot:
    """The slot if ``actor`` works at its site; else ``SlotNotFound``, as a missing one."""
    slots = Slot.objects.select_related("site", "procedure")
    if lock:
        slots = slots.select_for_update(of=("self",))
    slot = slots.filter(pk=slot_id).first()
    if slot is None or not works_at(actor, slot.site_id):
        raise errors.SlotNotFound()
    return slot


def _capacity_checked(value: int) -> int:
    if type(value) is not int or not 0 <= value <= MAX_CAPACITY:
        raise errors.InvalidCapacityChange(
            _("A capacity is a whole number between 0 and %(max)s."), max=MAX_CAPACITY
        )
    return value


def slot_capacity_change(*, actor: User, slot: Slot | int, capacity: int) -> Slot:
    """Set the capacity of ``slot`` (an agent of its site; a supervisor).

    Never below what is booked or held (offers, freed seats not shown yet): one
    conditional UPDATE (``WHERE booked + held <= capacity``), so a booking
    committed meanwhile is counted, and one that comes after finds the new
    capacity. A slot already started is refused.
    Returns the slot as it now is. Audited; availability told."""
    capacity = _capacity_checked(capacity)
    slot_id = slot if isinstance(slot, int) else slot.pk
    now = timezone.now()
    with transaction.atomic():
        current = _managed_slot(actor, slot_id, lock=True)
        if current.starts_at <= now:
            raise errors.SlotInPast()
        before = current.capacity
        changed = Slot.objects.filter(pk=slot_id, booked__lte=capacity - F("held")).update(
            capacity=capacity
        )
        if changed != 1:
            raise errors.CapacityBelowBooked(booked=current.booked + current.held)
        current.refresh_from_db(fields=["capacity", "booked", "held"])
        availability_cache.capacity_changed([current.procedure.slug])
        audit_record(
            actor=actor,
            action=AuditAction.SLOT_CAPACITY_CHANGED,
            details={
                "slot": current.pk,
                "site": current.site.slug,
                "procedure": current.procedure.slug,
                "starts_at": current.starts_at.isoformat(),
                "pool": current.pool,
                "capacity_before": before,
                "capacity_after": current.capacity,
                "booked": current.booked,
            },
        )
    return current


# --- Moving counters between pools --------------------------------------------------------


@dataclass(frozen=True)
class CountersMoved:
    source: Slot
    destination: Slot
    count: int
    created: bool


def slot_counters_move(
    *,
    actor: User,
    site: Site,
    procedure: Procedure,
    starts_at: datetime,
    from_pool: str,
    to_pool: str,
    count: int,
) -> CountersMoved:
    """Move ``count`` free counters of the time ``starts_at`` (at ``site``, for
    ``procedure``) from ``from_pool`` to ``to_pool``; the destination's slot is
    created (same times, same visibility) when the time has none in that pool.

    One transaction: the site locked (as ``slots_publish`` does), then the
    time's slots in primary-key order, the source
    reduced by a conditional UPDATE that keeps ``booked <= capacity`` (booked
    seats never move), the destination raised. Audited; availability told."""
    if from_pool not in POOLS or to_pool not in POOLS or from_pool == to_pool:
        raise errors.InvalidCapacityChange(_("Choose two different pools."))
    if type(count) is not int or not 1 <= count <= MAX_CAPACITY:
        raise errors.InvalidCapacityChange(
            _("The number of counters to move is between 1 and %(max)s."), max=MAX_CAPACITY
        )
    if not works_at(actor, site.pk):
        raise errors.SlotNotFound()
    if to_pool not in rules.pools_of_site(procedure.pk, site.pk):
        # The public counters are in the calendar's pool or the waiting list's,
        # as the site's allocation mode says: never moved into the other one.
        raise errors.InvalidCapacityChange(_("Choose two different pools."))
    now = timezone.now()
    with transaction.atomic():
        # Moves (and publications) of a site take turns: two moves creating the same
        # destination's slot would otherwise both find it missing (a row inserted by
        # the other is not in the snapshot of a SELECT that waited for its lock).
        list(Site.objects.select_for_update().filter(pk=site.pk).values_list("pk", flat=True))
        slots = {
            slot.pool: slot
            for slot in Slot.objects.select_for_update()
            .filter(site=site, procedure=procedure, starts_at=starts_at)
            .order_by("pk")
        }
        source = slots.get(from_pool)
        if source is None:
            raise errors.SlotNotFound()
        if source.starts_at <= now:
            raise errors.SlotInPast()
        destination = slots.get(to_pool)
        if destination is not None and destination.capacity + count > MAX_CAPACITY:
            raise errors.InvalidCapacityChange(
                _("A capacity is a whole number between 0 and %(max)s."), max=MAX_CAPACITY
            )
        taken = Slot.objects.filter(
            pk=source.pk, capacity__gte=F("booked") + F("held") + count
        ).update(capacity=F("capacity") - count)
        if taken != 1:
            raise errors.NotEnoughFreeCounters(free=source.remaining)
        created = destination is None
        if created:
            destination = Slot.objects.create(
                site=site,
                procedure=procedure,
                publication_id=source.publication_id,
                starts_at=source.starts_at,
                ends_at=source.ends_at,
                pool=to_pool,
                capacity=count,
                published_at=source.published_at,
            )
        else:
            Slot.objects.filter(pk=destination.pk).update(capacity=F("capacity") + count)
            destination.refresh_from_db(fields=["capacity", "booked"])
        source.refresh_from_db(fields=["capacity", "booked"])
        availability_cache.capacity_changed([procedure.slug])
        audit_record(
            actor=actor,
            action=AuditAction.SLOT_COUNTERS_MOVED,
            details={
                "site": site.slug,
                "procedure": procedure.slug,
                "starts_at": source.starts_at.isoformat(),
                "from_pool": from_pool,
                "to_pool": to_pool,
                "count": count,
                "from_slot": source.pk,
                "to_slot": destination.pk,
                "to_slot_created": created,
            },
        )
    return CountersMoved(source=source, destination=destination, count=count, created=created)
