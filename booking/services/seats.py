"""Seats taken without a booking: held for an offer of the waiting list, or a
freed seat held out of sight for a while.

``Slot.held`` counts them; the CHECK ``booked + held <= capacity`` and every
conditional ``UPDATE`` that takes a seat count them with the booked ones, so a
held seat is never shown nor booked by anyone else. Who holds what:

- ``allocation`` holds seats of the pool ``queue`` for its offers
  (``seats_hold``) and gives them back when an offer is declined, expires or is
  withdrawn (``seats_unhold``); an accepted offer books its held seat
  (``booking.services.appointment_book_held``).
- A seat freed in an ``open`` procedure's public pool (a cancellation, a move)
  is held until a moment drawn at random (``booking.rules.freed_seat_release_at``,
  a ``SeatRelease``), then shown again by ``seats_release_due`` (a beat task):
  whoever lets it go at an agreed second cannot tell a buyer when it returns.
  ``seat_freed`` is sent when it is shown again.

Lock order as everywhere in booking: appointments, then slots in primary-key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from booking import availability_cache, rules, signals
from booking.models import Procedure, SeatRelease, Slot


def _by_slot(counts: Mapping[int, int]) -> tuple[list[int], list[int]]:
    ids = sorted(counts)
    return ids, [counts[slot_id] for slot_id in ids]


def seats_hold(*, counts: Mapping[int, int]) -> set[int]:
    """Hold ``counts[slot_id]`` more seats of each slot, if they are free: one
    statement. Returns the ids of the slots held (those without that many free
    seats are left as they were). Caller is in a transaction and marks
    availability out of date if it matters (the pool ``queue`` is never shown)."""
    if not counts:
        return set()
    ids, numbers = _by_slot(counts)
    table = connection.ops.quote_name(Slot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} s SET held = s.held + v.n "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::int[]) AS v(id, n) "
            "WHERE s.id = v.id AND s.booked + s.held + v.n <= s.capacity RETURNING s.id",
            [ids, numbers],
        )
        return {row[0] for row in cursor.fetchall()}


def seats_unhold(*, counts: Mapping[int, int]) -> None:
    """Give back ``counts[slot_id]`` held seats of each slot: one statement. A
    slot holding fewer (closed meanwhile: a closure takes every held seat back)
    goes to zero. Caller is in a transaction."""
    if not counts:
        return
    ids, numbers = _by_slot(counts)
    table = connection.ops.quote_name(Slot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} s SET held = GREATEST(s.held - v.n, 0) "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::int[]) AS v(id, n) WHERE s.id = v.id",
            [ids, numbers],
        )


def seat_give_back(*, slot: Slot, procedure: Procedure, now: datetime) -> datetime | None:
    """The seat of an appointment cancelled or moved away from ``slot``: free
    again now (``seat_freed`` sent, in the caller's transaction), or held until
    the moment ``booking.rules.freed_seat_release_at`` draws (returned). Caller
    is in the event's transaction and holds the appointment's lock."""
    release_at = rules.freed_seat_release_at(slot, now)
    if release_at is None or release_at <= now:
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") - 1)
        signals.seat_freed.send(sender=Slot, slot=slot, procedure=procedure, now=now)
        return None
    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") - 1, held=F("held") + 1)
    SeatRelease.objects.create(slot=slot, release_at=release_at, created_at=now)
    return release_at


def seats_release_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Show again the freed seats whose moment has come: each gives its hold
    back and is announced as a freed seat (``seat_freed``). Rows another run
    holds are skipped. Returns how many were shown."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            SeatRelease.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(released_at__isnull=True, release_at__lte=now)
            .select_related("slot__procedure")
            .order_by("slot_id", "pk")[:limit]
        )
        if not due:
            return 0
        counts: dict[int, int] = {}
        for release in due:
            counts[release.slot_id] = counts.get(release.slot_id, 0) + 1
        # Slot rows in primary-key order (the services' lock order).
        list(
            Slot.objects.select_for_update()
            .filter(pk__in=sorted(counts))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        seats_unhold(counts=counts)
        SeatRelease.objects.filter(pk__in=[release.pk for release in due]).update(released_at=now)
        slugs = sorted({release.slot.procedure.slug for release in due})
        availability_cache.capacity_changed(slugs)
        for release in due:
            if release.slot.closure_id is None:
                signals.seat_freed.send(
                    sender=Slot, slot=release.slot, procedure=release.slot.procedure, now=now
                )
    return len(due)


def slot_releases_drop(*, slot_id: int, now: datetime) -> int:
    """A slot closing: its freed seats waiting to be shown go with its capacity
    (marked released, nothing announced). Caller holds the slot's lock and sets
    ``held`` itself. Returns how many."""
    return SeatRelease.objects.filter(slot_id=slot_id, released_at__isnull=True).update(
        released_at=now
    )
