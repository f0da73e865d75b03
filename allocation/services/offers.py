"""Offers and their answers; the allocation that makes them is
``allocation.services.allocate``.

**Lock order**, everywhere: slot rows (primary-key order), then entries
(primary-key order), then offers.

**Answers**: ``offer_accept`` books the held seat (``booking.services.
appointment_book_held``) and the entry is served; ``offer_decline`` gives the
seat back to the next person (the first decline keeps the person's place, a
later one sends them to the end of their group); ``offers_expire_due`` does the
same for offers nobody answered in time, and pauses an entry after
``WAITLIST_PAUSE_AFTER_EXPIRIES`` of them. Every seat given back is offered
again after the commit. Offers the prefecture takes back are withdrawn
(``offers_withdraw``, ``holds_withdraw``), and so are those made to someone
who booked the procedure meanwhile (``offers_of_the_booked_withdraw``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from accounts.errors import AccountSuspended
from accounts.models import Role, User
from allocation import errors, rules, signals, statements
from allocation.models import (
    ENTRY_IN_FORCE,
    EntryStatus,
    Offer,
    OfferStatus,
    WaitlistEntry,
)
from allocation.services.allocate import _offer_audit
from allocation.services.scheduling import allocation_after_commit
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event, audit_record
from booking import availability_cache
from booking import errors as booking_errors
from booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    Channel,
    Slot,
)
from booking.permissions import can_act_for
from booking.services import appointment_book_held, seats_unhold

# --- Answers ---------------------------------------------------------------------------


def _offer_locked(*, actor: User | None, offer_id: int) -> Offer:
    """The offer locked with its slot and entry (in the module's lock order), if
    ``actor`` may act on it (``None``: the offer's link, whose token answered
    for it); ``OfferNotFound`` otherwise. One statement
    (``allocation.statements``); an applicant's reads and locks only their own.

    First of all, in the same statement, the actor's account and the person's
    are locked ``FOR KEY SHARE`` (``accounts.suspension``): a suspension, which
    locks its account first and then withdraws the person's offers, either
    waits for this answer (and cancels the appointment it became) or is waited
    for (the offer is withdrawn by then; a suspended actor is refused,
    ``AccountSuspended``). Taken before the slot, so that neither waits for
    the other in the opposite order."""
    mine = actor is not None and actor.role == Role.APPLICANT
    offer, actor_suspended = statements.offer_locked_read(
        offer_id,
        actor_id=actor.pk if actor is not None else None,
        only_account=actor.pk if mine else None,
    )
    if offer is not None and actor_suspended:
        raise AccountSuspended()
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
    refused: booking_errors.AlreadyBooked | None = None
    with transaction.atomic():
        locked = _offer_locked(actor=actor, offer_id=offer_id)
        _open_checked(locked, now)
        try:
            appointment = appointment_book_held(
                actor=actor,
                applicant=locked.applicant,
                slot_id=locked.slot_id,
                channel=channel,
                slot=locked.slot,
            )
        except booking_errors.AlreadyBooked as error:
            # The person booked the procedure while the seat was offered (their
            # booking committing as the allocation read the list): the seat goes
            # to the next person now, not when the offer expires, and their
            # place is kept. The booking's savepoint kept this transaction.
            offers_withdraw(offers=Offer.objects.filter(pk=locked.pk), reason="booked", now=now)
            refused = error
        else:
            statements.offer_accepted_write(
                offer=locked,
                appointment_id=appointment.pk,
                now=now,
                audit=audit_event(
                    actor=actor,
                    action=AuditAction.OFFER_ACCEPTED,
                    appointment=appointment,
                    details={
                        "offer": locked.pk,
                        "entry": locked.entry_id,
                        "slot": locked.slot_id,
                        **({"by": "link"} if actor is None else {}),
                    },
                ),
            )
    if refused is not None:
        raise refused
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


# Why an offer may be withdrawn by the person's own doing: they are not told.
OWN_DOING = frozenset({"left", "booked", "changed"})


def offers_withdraw(*, offers: QuerySet[Offer], reason: str, now: datetime) -> int:
    """Withdraw open offers (``reason``: the person left the list, booked the
    procedure meanwhile or changed their places or days, a closure, a change of
    mode): seats given back, the
    people told unless it was their doing (``OWN_DOING``; ``offers_ended``),
    the seats offered again after the commit. Caller is in a transaction and
    holds the slots' locks (``offer_slots_lock`` first when it locks entries)."""
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
    if reason not in OWN_DOING:
        signals.offers_ended.send(sender=Offer, offers=ended, reason=reason, now=now)
    allocation_after_commit({offer.procedure_id for offer in ended})
    availability_cache.capacity_changed()
    return len(ended)


def offers_of_the_booked_withdraw(*, now: datetime | None = None) -> int:
    """Withdraw the open offers whose person holds an active appointment for
    the offer's procedure (a booking that committed while the allocation read
    the list, which it reads without that person then): each seat goes to the
    next person, the place is kept. The beat runs it each minute before it
    allocates (``allocation.tasks.allocate_due_task``); an accept refused as
    ``AlreadyBooked`` does it for its offer at once."""
    now = now or timezone.now()
    stale = Offer.objects.filter(status=OfferStatus.OPEN).filter(
        Exists(
            Appointment.objects.filter(
                applicant=OuterRef("applicant"),
                procedure=OuterRef("procedure"),
                status__in=ACTIVE_STATUSES,
            )
        )
    )
    slot_ids = list(stale.values_list("slot_id", flat=True))
    if not slot_ids:
        return 0
    with transaction.atomic():
        _slots_lock(slot_ids)
        return offers_withdraw(
            offers=Offer.objects.filter(pk__in=stale.values("pk")), reason="booked", now=now
        )


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
    "offers_expire_due",
    "offers_withdraw",
]
