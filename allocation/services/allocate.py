"""The allocation: every free seat of a procedure's pool ``queue`` offered to
the first entries of its list that fit (a site they reach, a weekday they can
come), earliest seat first, in one transaction (``offers_allocate``):

1. ``pg_advisory_xact_lock`` on the procedure: two runs for one procedure take
   turns, so a seat is never offered twice and the order is never crossed
   (runs for other procedures go on side by side);
2. the free seats, their slot rows locked in primary-key order (the services'
   lock order);
3. the entries in the list's order (``allocation.rules.LIST_ORDER``), read in
   pages of a few thousand ids and arrays, matched in memory (a bucket per site
   and weekday: no query per entry), until the seats or the list run out;
4. one ``UPDATE`` that holds the seats (``booking.services.seats_hold``: the
   CHECK ``booked + held <= capacity`` is the last word), one ``INSERT`` of the
   offers, one of their audit rows; ``offers_made`` for the messages.

The database refuses the rest: one open offer per entry (a partial unique
index), one entry in force per person and procedure. The lock order is
``allocation.services.offers``'s: the allocation locks the entries it matched
before it writes, and leaves out any that stopped waiting meanwhile (someone
left, accepted another offer): their seats are offered again after the commit.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from allocation import rules, signals
from allocation.models import (
    EntryStatus,
    Offer,
    OfferStatus,
    WaitlistEntry,
)
from allocation.selectors import queue_seats_free
from allocation.services.scheduling import allocation_after_commit
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event
from booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    BookingBlock,
    Procedure,
)
from booking.services import seats_hold

# The advisory lock's first key: "allo". The second is the procedure's id.
_LOCK_CLASS = 0x616C6C6F
# How many entries of the list one read brings.
ENTRIES_PAGE = 5000


@dataclass(frozen=True)
class _Seat:
    slot_id: int
    site_id: int
    starts_at: datetime


@dataclass(frozen=True)
class _Candidate:
    entry_id: int
    applicant_id: int
    site_ids: tuple[int, ...]
    weekdays_excluded: frozenset[int]
    # Slots this entry declined or let expire: their seats go to the next people.
    passed: frozenset[int] = frozenset()


def _lock_procedure(procedure_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, procedure_id])


def _free_seats(procedure: Procedure, now: datetime) -> list[tuple[int, int, datetime, int]]:
    """``(slot id, site id, starts_at, free seats)`` of the list's slots that may
    be offered now, their rows locked in primary-key order."""
    rows = (
        queue_seats_free(now)
        .select_for_update(of=("self",))
        .filter(
            procedure=procedure,
            starts_at__gte=rules.offerable_from(procedure, now),
            starts_at__lt=rules.offerable_until(procedure, now),
            site__is_active=True,
        )
        .order_by("pk")
        .values_list("pk", "site_id", "starts_at", "capacity", "booked", "held")
    )
    return [
        (pk, site_id, starts_at, capacity - booked - held)
        for pk, site_id, starts_at, capacity, booked, held in rows
    ]


_ENTRIES_SQL = """
SELECT e.id, e.applicant_id, e.site_ids, e.weekdays_excluded, e.priority_class, e.queued_at
FROM {entry} e
WHERE e.procedure_id = %(procedure)s AND e.status = 'waiting'
  AND (e.priority_class, e.queued_at, e.id) > (%(class)s, %(queued_at)s, %(id)s)
  AND NOT EXISTS (SELECT 1 FROM {offer} o WHERE o.entry_id = e.id AND o.status = 'open')
  AND NOT EXISTS (
      SELECT 1 FROM {appointment} a
      WHERE a.applicant_id = e.applicant_id AND a.procedure_id = e.procedure_id
        AND a.status = ANY(%(active)s))
  AND NOT EXISTS (
      SELECT 1 FROM {block} b
      WHERE b.applicant_id = e.applicant_id AND b.procedure_id = e.procedure_id
        AND b.until > %(now)s)
ORDER BY e.priority_class, e.queued_at, e.id
LIMIT %(limit)s
"""


def _passed_slots(slot_ids: list[int]) -> dict[int, frozenset[int]]:
    """Per entry, the slots among ``slot_ids`` it declined or let expire."""
    passed: dict[int, set[int]] = defaultdict(set)
    for entry_id, slot_id in Offer.objects.filter(
        slot_id__in=slot_ids, status__in=(OfferStatus.DECLINED, OfferStatus.EXPIRED)
    ).values_list("entry_id", "slot_id"):
        passed[entry_id].add(slot_id)
    return {entry_id: frozenset(slots) for entry_id, slots in passed.items()}


def _entries_in_order(
    procedure_id: int, now: datetime, passed: dict[int, frozenset[int]]
) -> Iterator[_Candidate]:
    """The entries that may receive an offer, in the list's order
    (``rules.LIST_ORDER``), a page at a time: those waiting, without an open
    offer, an active appointment for the procedure or a block in force."""
    quote = connection.ops.quote_name
    sql = _ENTRIES_SQL.format(
        entry=quote(WaitlistEntry._meta.db_table),
        offer=quote(Offer._meta.db_table),
        appointment=quote(Appointment._meta.db_table),
        block=quote(BookingBlock._meta.db_table),
    )
    after = (-1, datetime.min.replace(tzinfo=UTC), 0)
    # An entry whose class changed between two pages (``entries_reclassify``
    # locks entries, not the list) may come again in a later one: once only.
    seen: set[int] = set()
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    "procedure": procedure_id,
                    "class": after[0],
                    "queued_at": after[1],
                    "id": after[2],
                    "active": [str(status) for status in ACTIVE_STATUSES],
                    "now": now,
                    "limit": ENTRIES_PAGE,
                },
            )
            rows = cursor.fetchall()
        for entry_id, applicant_id, site_ids, excluded, _class, _queued in rows:
            if entry_id in seen:
                continue
            seen.add(entry_id)
            yield _Candidate(
                entry_id,
                applicant_id,
                tuple(site_ids),
                frozenset(excluded or ()),
                passed.get(entry_id, frozenset()),
            )
        if len(rows) < ENTRIES_PAGE:
            return
        last = rows[-1]
        after = (last[4], last[5], last[0])


def _match(
    seats: list[tuple[int, int, datetime, int]], candidates: Iterable[_Candidate]
) -> list[tuple[_Candidate, _Seat]]:
    """Each candidate in order takes the earliest free seat that fits them
    (``rules.fits``) and that they did not pass on already, until the seats run
    out. Seats wait in one queue per site and weekday, earliest first: a
    candidate looks at the heads of the queues of their sites and days (at most
    sites x 7), not at every seat; one who passed on a seat looks past it."""
    queues: dict[tuple[int, int], deque[list]] = defaultdict(deque)
    for slot_id, site_id, starts_at, free in sorted(seats, key=lambda s: (s[2], s[0])):
        weekday = timezone.localtime(starts_at).isoweekday()
        queues[(site_id, weekday)].append([_Seat(slot_id, site_id, starts_at), free])
    left = sum(seat[3] for seat in seats)
    matches: list[tuple[_Candidate, _Seat]] = []
    for candidate in candidates:
        if left == 0:
            break
        best: deque[list] | None = None
        best_index = 0
        for site_id in candidate.site_ids:
            for weekday in range(1, 8):
                if weekday in candidate.weekdays_excluded:
                    continue
                queue = queues.get((site_id, weekday))
                if not queue:
                    continue
                index = _first_not_passed(queue, candidate.passed)
                if index is None:
                    continue
                if best is None or queue[index][0].starts_at < best[best_index][0].starts_at:
                    best, best_index = queue, index
        if best is None:
            continue
        seat = best[best_index]
        matches.append((candidate, seat[0]))
        left -= 1
        seat[1] -= 1
        if seat[1] == 0:
            del best[best_index]
    return matches


def _first_not_passed(queue: deque[list], passed: frozenset[int]) -> int | None:
    """The index of the earliest seat of ``queue`` not among ``passed`` slots."""
    if not passed:
        return 0
    for index, (seat, _free) in enumerate(queue):
        if seat.slot_id not in passed:
            return index
    return None


def offers_allocate(*, procedure_id: int, now: datetime | None = None) -> list[Offer]:
    """Offer the free seats of ``procedure_id``'s list (see the module). Returns
    the offers made (none: nothing free, or nobody who fits)."""
    now = now or timezone.now()
    procedure = (
        Procedure.objects.select_related("horizon").filter(pk=procedure_id, is_active=True).first()
    )
    if procedure is None:
        return []
    with transaction.atomic():
        _lock_procedure(procedure_id)
        seats = _free_seats(procedure, now)
        if not seats:
            return []
        passed = _passed_slots([slot_id for slot_id, *_rest in seats])
        matches = _match(seats, _entries_in_order(procedure_id, now, passed))
        if not matches:
            return []
        still = set(
            WaitlistEntry.objects.select_for_update()
            .filter(
                pk__in=sorted(candidate.entry_id for candidate, _seat in matches),
                status=EntryStatus.WAITING,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if len(still) < len(matches):
            # Stopped waiting since they were read: their seats wait for the next run.
            matches = [(c, seat) for c, seat in matches if c.entry_id in still]
            allocation_after_commit([procedure_id])
        counts = Counter(seat.slot_id for _candidate, seat in matches)
        held = seats_hold(counts=counts)
        if held != set(counts):  # the rows are locked: this cannot happen
            raise RuntimeError("allocation: a locked slot refused its holds")
        offers = [
            Offer(
                entry_id=candidate.entry_id,
                applicant_id=candidate.applicant_id,
                procedure_id=procedure_id,
                slot_id=seat.slot_id,
                created_at=now,
                expires_at=rules.offer_expires_at(
                    procedure=procedure, starts_at=seat.starts_at, now=now
                ),
            )
            for candidate, seat in matches
        ]
        Offer.objects.bulk_create(offers, batch_size=2000)
        AuditEvent.objects.bulk_create(
            [_offer_audit(offer, AuditAction.OFFERS_MADE) for offer in offers], batch_size=2000
        )
        signals.offers_made.send(sender=Offer, offers=offers, now=now)
    return offers


def _offer_audit(offer: Offer, action: str, actor: User | None = None, **details) -> AuditEvent:
    event = audit_event(
        actor=actor,
        action=action,
        details={
            "offer": offer.pk,
            "entry": offer.entry_id,
            "slot": offer.slot_id,
            "expires_at": offer.expires_at.isoformat(),
            **details,
        },
    )
    event.applicant_id = offer.applicant_id
    return event
