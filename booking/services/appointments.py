"""Cancelling and moving appointments, and what holds for every change of one.

Booking is ``booking.services.bookings``: one read of the slot, the checks of
``booking.rules``, then one statement (``booking.statements``) that takes the
seat and writes the appointment, its audit row and its outbox rows. What
booking, cancelling and moving share is ``booking.services.appointment_steps``.
Cancelling and moving lock the appointment, then the slots. Who else reacts
(the messages owed, the alerts of a freed seat) is told through
``booking.signals``: booking knows nothing of notifications.

Invariants, held by the database and not only here:
- ``Slot.booked + Slot.held`` never exceeds ``Slot.capacity`` (CHECK
  constraint); both are changed only by conditional UPDATEs, never
  read-modified-written in Python (held seats: ``booking.services.seats``).
- one active appointment per identity and procedure (partial UNIQUE index).
Lock order, to keep transactions free of deadlocks: an appointment row first,
then slot rows in primary-key order.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from booking import availability_cache, errors, rules, signals
from booking.models import (
    Appointment,
    AppointmentStatus,
    BlockReason,
    BookingBlock,
    Closure,
    Pool,
    PriorityRight,
    Slot,
)
from booking.permissions import can_act_for
from booking.services.appointment_steps import (
    _acting_for,
    _changed,
    _for_someone,
    _messages_wanted,
    _messages_write,
    _slot_claim,
    _slot_release,
)
from booking.services.bookings import _slot_loaded
from booking.services.seats import seat_give_back


def _appointment_lock(appointment: Appointment) -> Appointment:
    """Lock the appointment's row, then read it afresh with its slot and applicant.

    The row is locked on its own: locked in a join, a row that another
    transaction updated meanwhile (a reschedule moved it to another slot) is
    rechecked by PostgreSQL against the slot row read before the wait, no
    longer matches, and the appointment would seem not to exist.
    """
    list(Appointment.objects.select_for_update().filter(pk=appointment.pk).values_list("pk"))
    # The applicant's account too: its confirmed contacts are where the messages go.
    return Appointment.objects.select_related("slot", "procedure", "applicant__user").get(
        pk=appointment.pk
    )


def _appointment_lock_for_change(
    *, actor: User, appointment: Appointment, now: datetime
) -> Appointment:
    """Lock ``appointment`` (``_appointment_lock``) and raise the first reason why
    ``actor`` may not cancel or move it where it is now (``booking.rules``).
    Caller is in a transaction."""
    locked = _appointment_lock(appointment)
    if not can_act_for(actor, locked.applicant, site_id=locked.slot.site_id):
        raise errors.NotAllowed()
    if (refusal := rules.change_refusal(locked, now)) is not None:
        raise refusal
    return locked


def appointment_cancel(
    *,
    actor: User,
    appointment: Appointment,
    closure: Closure | None = None,
    suspension: int | None = None,
) -> Appointment:
    """Cancel an active appointment and free its seat, in one transaction.

    ``closure``: the prefecture cancels it because it closes the slot
    (``booking.services.closures``, which holds the slot's lock and takes the
    seat out of capacity). Its messages then say so, with the closure's reason
    and the priority right the person gets; the seat freed is not offered to
    anyone (no ``seat_freed``); the audit row names the closure.

    An appointment booked with a priority right gives the right back, unused
    until its own expiry, unless the person holds another valid one for the
    procedure (``_priority_right_restore``); the audit row names it.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = _appointment_lock_for_change(actor=actor, appointment=appointment, now=now)
        on_behalf = {}
        if _for_someone(actor):
            on_behalf = _acting_for(
                actor=actor,
                applicant=locked.applicant,
                appointment=locked,
                slot=locked.slot,
                event=signals.CANCELLED,
                now=now,
            )
        locked.status = AppointmentStatus.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_by = actor
        locked.updated_at = now
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
        restored = _priority_right_restore(locked, now)
        if restored is not None:
            signals.priority_changed.send(
                sender=PriorityRight,
                applicant_ids=[locked.applicant_id],
                procedure_id=locked.procedure_id,
                reason=signals.RIGHT_RESTORED,
                details={"priority_right": restored, "appointment": locked.pk},
                actor=actor,
                now=now,
            )
        shown_at = None
        if closure is None:
            # The seat goes back (at once, or later: ``seats``), and whoever let
            # it go may not take it back at once (``rules.cancel_block_until``).
            shown_at = seat_give_back(slot=locked.slot, procedure=locked.procedure, now=now)
            _cancel_block(locked, now)
        else:
            # The closure takes the seat out of capacity with its slot.
            _slot_release(locked.slot_id)
        availability_cache.capacity_changed([locked.procedure.slug])
        messages = _messages_wanted(locked, signals.CANCELLED, now, closure=closure)
        _messages_write(messages)
        _changed(locked, signals.CANCELLED, now, messages)
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_CANCELLED,
            appointment=locked,
            details={
                "slot": locked.slot_id,
                **({"closure": closure.pk} if closure is not None else {}),
                **({"suspension": suspension} if suspension is not None else {}),
                **({"priority_right_restored": restored} if restored is not None else {}),
                **({"seat_shown_at": shown_at.isoformat()} if shown_at is not None else {}),
                **on_behalf,
            },
        )
    return locked


def _cancel_block(appointment: Appointment, now: datetime) -> None:
    """Keep the identity of a cancelled appointment from booking its procedure
    again for a while (``rules.cancel_block_until``): the block ends the later
    of the one in force and the new one."""
    until = rules.cancel_block_until(slot=appointment.slot, by_applicant=True, now=now)
    if until is None:
        return
    block, created = BookingBlock.objects.get_or_create(
        applicant_id=appointment.applicant_id,
        procedure_id=appointment.procedure_id,
        reason=BlockReason.CANCELLED,
        defaults={"until": until, "created_at": now},
    )
    if not created and block.until < until:
        BookingBlock.objects.filter(pk=block.pk).update(until=until, created_at=now)


def _priority_right_restore(appointment: Appointment, now: datetime) -> int | None:
    """Give back the priority right ``appointment`` was booked with, now that it
    is cancelled: unused again until its own ``valid_until``. Its id, or None
    when there is none to give back: no right booked it, it has expired, or the
    person holds another valid one for the procedure (a closure cancelling the
    appointment gave its own right first: one right per procedure, not two).
    Caller is in the cancellation's transaction and holds the appointment's lock."""
    if appointment.slot.pool != Pool.PRIORITY and not appointment.reschedule_count:
        # Only a booking of priority time uses a right (a move may take it
        # elsewhere): the common cancellation asks nothing more.
        return None
    right = (
        PriorityRight.objects.select_for_update()
        .filter(appointment_id=appointment.pk, used_at__isnull=False)
        .first()
    )
    if right is None or right.valid_until <= now:
        return None
    if rules.priority_rights_valid(
        applicant_id=right.applicant_id, procedure_id=right.procedure_id, now=now
    ).exists():
        return None
    PriorityRight.objects.filter(pk=right.pk).update(used_at=None, appointment=None)
    return right.pk


def appointment_reschedule(
    *, actor: User, appointment: Appointment, new_slot_id: int
) -> Appointment:
    """Move an active appointment to another slot of the same procedure.

    The new seat is claimed before the old one is released; if the new slot
    cannot be had, the transaction rolls back and the old appointment stands.
    The reference and the identity stay the same.
    """
    now = timezone.now()
    with transaction.atomic():
        # Where it is now; where it goes is checked with the new slot below.
        locked = _appointment_lock_for_change(actor=actor, appointment=appointment, now=now)
        new_slot = _slot_loaded(new_slot_id)
        if new_slot.pk == locked.slot_id:
            raise errors.SameSlot()
        # A slot of another procedure is not one this appointment may see.
        if new_slot.procedure_id != locked.procedure_id:
            raise errors.SlotNotFound()
        # A priority right books a priority time; it does not move one there.
        if rules.uses_priority_right(actor, new_slot):
            raise errors.SlotNotFound()
        rules.booking_check(actor=actor, applicant=locked.applicant, slot=new_slot, now=now)
        on_behalf = {}
        if _for_someone(actor):
            on_behalf = _acting_for(
                actor=actor,
                applicant=locked.applicant,
                appointment=locked,
                slot=new_slot,
                event=signals.RESCHEDULED,
                now=now,
            )
        old_slot, old_slot_id, old_starts_at = locked.slot, locked.slot_id, locked.slot.starts_at
        # Both slot rows, in primary-key order: crossing reschedules cannot deadlock.
        list(
            Slot.objects.select_for_update()
            .filter(pk__in=sorted((old_slot_id, new_slot.pk)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _slot_claim(new_slot.pk)
        # The seat left behind is freed as a cancellation frees one.
        seat_give_back(slot=old_slot, procedure=locked.procedure, now=now)
        availability_cache.capacity_changed([new_slot.procedure.slug])
        locked.slot = new_slot
        locked.reschedule_count = F("reschedule_count") + 1
        locked.updated_at = now
        locked.save(update_fields=["slot", "reschedule_count", "updated_at"])
        locked.refresh_from_db(fields=["reschedule_count"])
        messages = _messages_wanted(locked, signals.RESCHEDULED, now)
        _messages_write(messages)
        _changed(locked, signals.RESCHEDULED, now, messages)
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_RESCHEDULED,
            appointment=locked,
            details={
                "from_slot": old_slot_id,
                "from_starts_at": old_starts_at.isoformat(),
                "to_slot": new_slot.pk,
                "to_starts_at": new_slot.starts_at.isoformat(),
                **on_behalf,
            },
        )
    return locked
