"""Closing a site's slots (a strike, a public holiday, an outage) and lifting it.

A closure keeps every row: each slot it closes points to it and keeps the
capacity it had (``capacity_before_closure``); its capacity becomes what stays
booked (0 once its appointments are cancelled), so that the conditional UPDATE
of a booking refuses it with no change to the hot path, and availability,
which shows free seats only, hides it.

Closing runs **one transaction per slot**: the slot's active appointments are
locked (appointment rows first, then the slot: the lock order of
``booking.services.appointments``), each booked one is cancelled through
``appointment_cancel`` (its messages say the prefecture cancelled it, with the
reason and the priority right), the person gets a ``PriorityRight`` for the
procedure, and the slot takes the closure. A slot already closed is skipped,
so that closing the same range again, or resuming a closure a crash cut
short, changes nothing more: no second message, no second right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from booking import availability_cache, errors, signals
from booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Closure,
    PriorityRight,
    PriorityRightSource,
    Procedure,
    Site,
    Slot,
)
from booking.permissions import can_close
from booking.services.appointments import appointment_cancel
from booking.services.seats import slot_releases_drop

# The longest range one closure may cover (days).
MAX_CLOSURE_DAYS = 92
REASON_MAX_LENGTH = 300


@dataclass(frozen=True)
class ClosurePreview:
    """What a closure would do, written nowhere."""

    slots: int
    appointments: int
    procedures: int


def _range_check(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at or ends_at - starts_at > timedelta(days=MAX_CLOSURE_DAYS):
        raise errors.ClosureRangeInvalid()


def _site_check(actor: User, site: Site) -> None:
    """A site the actor does not work at answers as one that does not exist."""
    if not can_close(actor, site):
        raise errors.SiteNotFound()


def closable_slots(
    *,
    site: Site,
    procedure: Procedure | None,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> QuerySet[Slot]:
    """The slots a closure of the range would close: of the site (and procedure),
    starting within ``[starts_at, ends_at)`` and not yet started, not closed."""
    slots = Slot.objects.filter(
        site=site,
        starts_at__gte=max(starts_at, now),
        starts_at__lt=ends_at,
        closure__isnull=True,
    )
    if procedure is not None:
        slots = slots.filter(procedure=procedure)
    return slots


def closure_preview(
    *,
    actor: User,
    site: Site,
    procedure: Procedure | None = None,
    starts_at: datetime,
    ends_at: datetime,
) -> ClosurePreview:
    """How many slots and booked appointments a closure of the range would
    take, and of how many procedures. Nothing is written."""
    _site_check(actor, site)
    _range_check(starts_at, ends_at)
    slots = closable_slots(
        site=site, procedure=procedure, starts_at=starts_at, ends_at=ends_at, now=timezone.now()
    )
    appointments = Appointment.objects.filter(
        slot__in=slots.values("pk"), status=AppointmentStatus.BOOKED
    ).count()
    return ClosurePreview(
        slots=slots.count(),
        appointments=appointments,
        procedures=slots.values("procedure_id").distinct().count(),
    )


def closure_create(
    *,
    actor: User,
    site: Site,
    procedure: Procedure | None = None,
    starts_at: datetime,
    ends_at: datetime,
    kind: str,
    reason: str,
) -> Closure:
    """Close the site's slots (of ``procedure``, or of every procedure) starting
    in ``[starts_at, ends_at)``, cancelling their appointments (see the module).

    The same range closed again (a closure in force for the same site,
    procedure and times) is that closure, run again: only slots not yet closed
    are touched. Raises ``SiteNotFound`` for a site the actor does not work at,
    ``ClosureRangeInvalid``, ``ClosureReasonMissing``.
    """
    _site_check(actor, site)
    _range_check(starts_at, ends_at)
    reason = (reason or "").strip()
    if not reason:
        raise errors.ClosureReasonMissing()
    reason = reason[:REASON_MAX_LENGTH]
    closure = _closure_record(
        actor=actor,
        site=site,
        procedure=procedure,
        starts_at=starts_at,
        ends_at=ends_at,
        kind=kind,
        reason=reason,
    )
    now = timezone.now()
    slot_ids = list(
        closable_slots(
            site=site, procedure=procedure, starts_at=starts_at, ends_at=ends_at, now=now
        )
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
    )
    for slot_id in slot_ids:
        _slot_close(actor=actor, closure=closure, slot_id=slot_id)
    closure.refresh_from_db(fields=["slots_closed", "appointments_cancelled"])
    return closure


def _closure_record(
    *,
    actor: User,
    site: Site,
    procedure: Procedure | None,
    starts_at: datetime,
    ends_at: datetime,
    kind: str,
    reason: str,
) -> Closure:
    """The closure in force for this very range, or a new one (audited once)."""
    with transaction.atomic():
        # Serialise closures of one site: two agents closing the same day at once
        # make one closure, not two.
        list(Site.objects.select_for_update().filter(pk=site.pk).values_list("pk"))
        existing = Closure.objects.filter(
            site=site,
            procedure=procedure,
            starts_at=starts_at,
            ends_at=ends_at,
            lifted_at__isnull=True,
        ).first()
        if existing is not None:
            return existing
        closure = Closure.objects.create(
            site=site,
            procedure=procedure,
            starts_at=starts_at,
            ends_at=ends_at,
            kind=kind,
            reason=reason,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CLOSURE_CREATED,
            details={
                "closure": closure.pk,
                "site": site.pk,
                "procedure": procedure.pk if procedure is not None else None,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "kind": kind,
                "reason": reason,
            },
        )
    return closure


def _slot_close(*, actor: User, closure: Closure, slot_id: int) -> None:
    """Close one slot, in its own transaction (see the module)."""
    with transaction.atomic():
        # The appointments' rows first, then the slot's (the services' lock order).
        _active_lock(slot_id)
        slot = (
            Slot.objects.select_for_update(of=("self",))
            .select_related("procedure")
            .filter(pk=slot_id)
            .first()
        )
        if slot is None or slot.closure_id is not None:
            return
        now = timezone.now()
        if slot.starts_at <= now:
            return  # started meanwhile: the counter has it
        # A booking that committed while we waited for the slot: lock it too (the
        # slot's lock keeps any other from coming now).
        _active_lock(slot_id)
        valid_until = now + timedelta(days=settings.PRIORITY_RIGHT_DAYS)
        cancelled: list[Appointment] = []
        booked = Appointment.objects.filter(
            slot_id=slot_id, status=AppointmentStatus.BOOKED
        ).order_by("pk")
        for appointment in booked:
            # The right first: the messages the cancellation owes speak of it.
            PriorityRight.objects.get_or_create(
                closure=closure,
                applicant_id=appointment.applicant_id,
                procedure_id=appointment.procedure_id,
                defaults={
                    "granted_at": now,
                    "valid_until": valid_until,
                    "source": PriorityRightSource.CLOSURE,
                },
            )
            cancelled.append(
                appointment_cancel(actor=actor, appointment=appointment, closure=closure)
            )
        if cancelled:
            # Their rights move them up the waiting list (before the holds go: the
            # lock order is slots, entries, offers).
            signals.closure_cancelled.send(
                sender=Closure, closure=closure, appointments=cancelled, actor=actor, now=now
            )
        # What is held there (offers of the waiting list, freed seats not shown
        # yet) goes with the capacity: the holders withdraw it first.
        signals.holds_withdraw.send(sender=Slot, slot_ids=[slot_id], reason="closure", now=now)
        slot_releases_drop(slot_id=slot_id, now=now)
        # What stays booked (checked in) keeps its seats; nothing else may be taken.
        Slot.objects.filter(pk=slot_id).update(
            closure=closure, capacity_before_closure=F("capacity"), capacity=F("booked"), held=0
        )
        Closure.objects.filter(pk=closure.pk).update(
            slots_closed=F("slots_closed") + 1,
            appointments_cancelled=F("appointments_cancelled") + len(cancelled),
        )
        availability_cache.capacity_changed([slot.procedure.slug])


def _active_lock(slot_id: int) -> None:
    list(
        Appointment.objects.select_for_update()
        .filter(slot_id=slot_id, status__in=ACTIVE_STATUSES)
        .order_by("pk")
        .values_list("pk")
    )


def closure_lift(*, actor: User, closure: Closure) -> Closure:
    """Reopen the closure's slots that have not started: they get their capacity
    back (the appointments cancelled stay cancelled; the rights given stay).
    Past ones stay closed. Audited. The seats reopened are announced as freed
    ones are (``booking.signals.capacity_reopened``: the new-slot alerts of the
    public pool, within the transaction). ``ClosureNotFound`` for a closure of a site
    the actor does not work at; ``ClosureAlreadyLifted``."""
    if not can_close(actor, closure.site):
        raise errors.ClosureNotFound()
    with transaction.atomic():
        locked = Closure.objects.select_for_update().select_related("site").get(pk=closure.pk)
        if locked.lifted_at is not None:
            raise errors.ClosureAlreadyLifted()
        now = timezone.now()
        # Slot rows in primary-key order (the services' lock order).
        reopened = list(
            Slot.objects.select_for_update(of=("self",))
            # With its horizon: what the receivers ask of each slot is in memory.
            .select_related("procedure__horizon")
            .filter(closure=locked, starts_at__gt=now)
            .order_by("pk")
        )
        count = Slot.objects.filter(pk__in=[slot.pk for slot in reopened]).update(
            capacity=F("capacity_before_closure"), capacity_before_closure=None, closure=None
        )
        for slot in reopened:  # as written: what the receivers of the signal read
            slot.capacity, slot.capacity_before_closure = slot.capacity_before_closure, None
            slot.closure = None
        locked.lifted_at = now
        locked.lifted_by = actor
        locked.save(update_fields=["lifted_at", "lifted_by"])
        if reopened:
            availability_cache.capacity_changed(sorted({s.procedure.slug for s in reopened}))
            # Seats bookable again, like a freed one: the alerts' subscribers are owed.
            signals.capacity_reopened.send(sender=Slot, slots=reopened, now=now)
        audit_record(
            actor=actor,
            action=AuditAction.CLOSURE_LIFTED,
            details={"closure": locked.pk, "site": locked.site_id, "slots_reopened": count},
        )
    return locked
