"""Offers: the allocation that makes them, and their answers.

**The allocation** (``offers_allocate``) gives every free seat of a procedure's
pool ``queue`` to the first entries of its list that fit (a site they reach, a
weekday they can come), earliest seat first, in one transaction:

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
index), one entry in force per person and procedure.

**Lock order**, everywhere: slot rows (primary-key order), then entries
(primary-key order), then offers. The allocation locks the entries it matched
before it writes, and leaves out any that stopped waiting meanwhile (someone
left, accepted another offer): their seats are offered again after the commit.

**Answers**: ``offer_accept`` books the held seat (``booking.services.
appointment_book_held``) and the entry is served; ``offer_decline`` gives the
seat back to the next person (the first decline keeps the person's place, a
later one sends them to the end of their group); ``offers_expire_due`` does the
same for offers nobody answered in time, and pauses an entry after
``WAITLIST_PAUSE_AFTER_EXPIRIES`` of them. Every seat given back is offered
again after the commit.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from allocation import errors, rules, signals
from allocation.models import (
    ENTRY_IN_FORCE,
    EntryStatus,
    Offer,
    OfferStatus,
    WaitlistEntry,
)
from allocation.selectors import queue_seats_free
from allocation.services.scheduling import allocation_after_commit
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event, audit_record
from booking import availability_cache
from booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    BookingBlock,
    Channel,
    Procedure,
    Slot,
)
from booking.permissions import can_act_for
from booking.services import appointment_book_held, seats_hold, seats_unhold

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


# --- Answers ---------------------------------------------------------------------------


def _offer_locked(*, actor: User | None, offer_id: int) -> Offer:
    """The offer locked with its slot and entry (in the module's lock order), if
    ``actor`` may act on it (``None``: the offer's link, whose token answered
    for it); ``OfferNotFound`` otherwise."""
    found = Offer.objects.filter(pk=offer_id).values_list("slot_id", "entry_id").first()
    if found is None:
        raise errors.OfferNotFound()
    list(Slot.objects.select_for_update().filter(pk=found[0]).values_list("pk"))
    list(WaitlistEntry.objects.select_for_update().filter(pk=found[1]).values_list("pk"))
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("entry", "applicant__user", "slot__site", "procedure")
        .filter(pk=offer_id)
        .first()
    )
    if offer is None or (
        actor is not None and not can_act_for(actor, offer.applicant, site_id=offer.slot.site_id)
    ):
        raise errors.OfferNotFound()
    return offer


def _open_checked(offer: Offer, now: datetime) -> None:
    if offer.status != OfferStatus.OPEN:
        raise errors.OfferNotOpen()
    if offer.expires_at <= now:
        raise errors.OfferExpired()


def offer_accept(*, actor: User, offer: Offer | int, channel: str = Channel.WEB) -> Appointment:
    """Accept the offer: its held seat becomes the person's appointment (every
    booking rule applies, the messages of a booking are owed), the entry is
    served. Refused when it is no longer open or has expired."""
    return _accept(actor=actor, offer=offer, channel=channel)


def offer_accept_by_link(*, offer: Offer | int, channel: str = Channel.WEB) -> Appointment:
    """``offer_accept`` by the person following their offer's link
    (``allocation.links``: the token is the authority, no account acts; a
    walk-in has none). Booked by nobody, as an applicant; audited without an
    actor, ``"by": "link"``."""
    return _accept(actor=None, offer=offer, channel=channel)


def _accept(*, actor: User | None, offer: Offer | int, channel: str) -> Appointment:
    now = timezone.now()
    offer_id = offer if isinstance(offer, int) else offer.pk
    with transaction.atomic():
        locked = _offer_locked(actor=actor, offer_id=offer_id)
        _open_checked(locked, now)
        appointment = appointment_book_held(
            actor=actor, applicant=locked.applicant, slot_id=locked.slot_id, channel=channel
        )
        Offer.objects.filter(pk=locked.pk).update(
            status=OfferStatus.ACCEPTED, answered_at=now, appointment=appointment
        )
        WaitlistEntry.objects.filter(pk=locked.entry_id).update(
            status=EntryStatus.SERVED, appointment=appointment, ended_at=now, updated_at=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.OFFER_ACCEPTED,
            appointment=appointment,
            details={
                "offer": locked.pk,
                "entry": locked.entry_id,
                "slot": locked.slot_id,
                **({"by": "link"} if actor is None else {}),
            },
        )
    return appointment


def offer_decline(*, actor: User, offer: Offer | int) -> Offer:
    """Decline the offer: the seat goes to the next person after the commit.
    The first decline keeps the person's place; a later one sends them to the
    end of their group (``rules.keeps_place_after_decline``)."""
    return _decline(actor=actor, offer=offer)


def offer_decline_by_link(*, offer: Offer | int) -> Offer:
    """``offer_decline`` by the person following their offer's link (see
    ``offer_accept_by_link``)."""
    return _decline(actor=None, offer=offer)


def _decline(*, actor: User | None, offer: Offer | int) -> Offer:
    now = timezone.now()
    offer_id = offer if isinstance(offer, int) else offer.pk
    with transaction.atomic():
        locked = _offer_locked(actor=actor, offer_id=offer_id)
        _open_checked(locked, now)
        details: dict = {} if actor is not None else {"by": "link"}
        if actor is not None and actor.role != Role.APPLICANT:
            for _receiver, answer in signals.acting_for_entry.send(
                sender=WaitlistEntry,
                actor=actor,
                applicant=locked.applicant,
                event=signals.DECLINED,
                now=now,
            ):
                details.update(answer or {})
        seats_unhold(counts={locked.slot_id: 1})
        Offer.objects.filter(pk=locked.pk).update(status=OfferStatus.DECLINED, answered_at=now)
        entry = locked.entry
        entry.declines += 1
        fields = {"declines": entry.declines, "updated_at": now}
        if not rules.keeps_place_after_decline(entry.declines):
            fields["queued_at"] = now
        WaitlistEntry.objects.filter(pk=entry.pk).update(**fields)
        audit_record(
            actor=actor,
            action=AuditAction.OFFER_DECLINED,
            applicant=locked.applicant,
            details={
                "offer": locked.pk,
                "entry": entry.pk,
                "slot": locked.slot_id,
                "place_kept": "queued_at" not in fields,
                **details,
            },
        )
        allocation_after_commit([locked.procedure_id])
        locked.status, locked.answered_at = OfferStatus.DECLINED, now
    return locked


def offers_expire_due(*, now: datetime | None = None, limit: int = 2000) -> int:
    """End the open offers past their moment: each seat goes back to the list
    (offered again after the commit); an entry whose offers expired
    ``WAITLIST_PAUSE_AFTER_EXPIRIES`` times is paused (``entries_paused``: the
    people told). Rows another run holds are skipped. Returns how many expired."""
    now = now or timezone.now()
    with transaction.atomic():
        found = list(
            Offer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now)
            .order_by("expires_at", "pk")
            .values_list("slot_id", "entry_id")[:limit]
        )
        if not found:
            return 0
        # The module's lock order: slots, entries, then the offers read again.
        _slots_lock({slot_id for slot_id, _entry in found})
        list(
            WaitlistEntry.objects.select_for_update()
            .filter(pk__in=sorted({entry for _slot, entry in found}))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        due = list(
            Offer.objects.select_for_update()
            .filter(
                entry_id__in={entry for _slot, entry in found},
                status=OfferStatus.OPEN,
                expires_at__lte=now,
            )
            .order_by("pk")
        )
        if not due:
            return 0
        seats_unhold(counts=Counter(offer.slot_id for offer in due))
        Offer.objects.filter(pk__in=[offer.pk for offer in due]).update(
            status=OfferStatus.EXPIRED, answered_at=now
        )
        WaitlistEntry.objects.filter(pk__in=[offer.entry_id for offer in due]).update(
            expiries=F("expiries") + 1, updated_at=now
        )
        # The entries are locked: the ids read are those the update pauses.
        paused = list(
            WaitlistEntry.objects.filter(
                pk__in=[offer.entry_id for offer in due],
                status=EntryStatus.WAITING,
                expiries__gte=_pause_threshold(),
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if paused:
            WaitlistEntry.objects.filter(pk__in=paused).update(status=EntryStatus.PAUSED)
            signals.entries_paused.send(sender=WaitlistEntry, entry_ids=paused, now=now)
        AuditEvent.objects.bulk_create(
            [_offer_audit(offer, AuditAction.OFFERS_EXPIRED) for offer in due], batch_size=2000
        )
        allocation_after_commit({offer.procedure_id for offer in due})
    return len(due)


def _pause_threshold() -> int:
    expiries = 1
    while not rules.pauses_after_expiry(expiries):
        expiries += 1
    return expiries


def _slots_lock(slot_ids) -> None:
    """Lock slot rows in primary-key order (the first step of the lock order)."""
    list(
        Slot.objects.select_for_update()
        .filter(pk__in=sorted(slot_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def offers_withdraw(*, offers: QuerySet[Offer], reason: str, now: datetime) -> int:
    """Withdraw open offers that are not the person's doing (``reason``: the
    person left, a closure, a change of mode): seats given back, the people
    told (``offers_ended``), the seats offered again after the commit. Caller
    is in a transaction and holds the slots' locks (``offer_slots_lock`` first
    when it locks entries)."""
    ended = list(
        offers.filter(status=OfferStatus.OPEN)
        .select_for_update(of=("self",))
        .select_related("applicant", "slot__site", "procedure")
        .order_by("pk")
    )
    if not ended:
        return 0
    seats_unhold(counts=Counter(offer.slot_id for offer in ended))
    Offer.objects.filter(pk__in=[offer.pk for offer in ended]).update(
        status=OfferStatus.WITHDRAWN, answered_at=now
    )
    AuditEvent.objects.bulk_create(
        [_offer_audit(offer, AuditAction.OFFERS_WITHDRAWN, reason=reason) for offer in ended]
    )
    if reason != "left":
        signals.offers_ended.send(sender=Offer, offers=ended, reason=reason, now=now)
    allocation_after_commit({offer.procedure_id for offer in ended})
    availability_cache.capacity_changed()
    return len(ended)


def offer_slots_lock(*, entry_id: int) -> None:
    """Lock the slots of the entry's open offers: what a path that then locks
    the entry takes first (the module's lock order)."""
    _slots_lock(
        Offer.objects.filter(entry_id=entry_id, status=OfferStatus.OPEN).values_list(
            "slot_id", flat=True
        )
    )


def holds_withdraw(*, slot_ids: list[int], reason: str, now: datetime) -> int:
    """``booking.signals.holds_withdraw``: the open offers of these slots go
    (their entries keep their place). Caller holds the slots' locks."""
    return offers_withdraw(
        offers=Offer.objects.filter(slot_id__in=slot_ids), reason=reason, now=now
    )


__all__ = [
    "ENTRY_IN_FORCE",
    "holds_withdraw",
    "offer_accept",
    "offer_accept_by_link",
    "offer_decline",
    "offer_decline_by_link",
    "offer_slots_lock",
    "offers_allocate",
    "offers_expire_due",
    "offers_withdraw",
]
