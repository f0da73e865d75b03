"""Booking, cancelling and moving appointments.

A booking is one read of the slot, the checks of ``booking.rules``, then one
statement (``booking.statements``) that takes the seat and writes the
appointment, its audit row and its outbox rows. Cancelling and moving lock the
appointment, then the slots. Who else reacts (the messages owed, the alerts of
a freed seat) is told through ``booking.signals``: booking knows nothing of
notifications.

Invariants, held by the database and not only here:
- ``Slot.booked`` never exceeds ``Slot.capacity`` (CHECK constraint); it is
  changed only by conditional UPDATEs, never read-modified-written in Python.
- one active appointment per identity and procedure (partial UNIQUE index).
Lock order, to keep transactions free of deadlocks: an appointment row first,
then slot rows in primary-key order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditAction
from audit.services import audit_event, audit_record
from booking import availability_cache, errors, rules, signals, statements
from booking.models import (
    ACTIVE_STATUSES,
    IDENTITY_SNAPSHOT_FIELDS,
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Closure,
    Slot,
    new_reference,
)
from booking.permissions import can_act_for
from core.db import constraint_of
from core.parsing import parse_id

# --- Capacity ------------------------------------------------------------------


def _slot_claim(slot_id: int) -> None:
    """Take one seat of the slot or raise ``SlotFull``. Caller is in a transaction
    and marks availability out of date (``availability_cache.capacity_changed``)."""
    claimed = Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if claimed != 1:
        raise errors.SlotFull()


def _slot_release(slot_id: int) -> None:
    """Give one seat back. Caller is in a transaction, has an active appointment
    on it and marks availability out of date (``availability_cache.capacity_changed``)."""
    Slot.objects.filter(pk=slot_id).update(booked=F("booked") - 1)


def _is_one_active_violation(exc: IntegrityError) -> bool:
    """The partial unique indexes of one active appointment per person and procedure."""
    violated = constraint_of(exc)
    return any(name in violated for name in _ONE_ACTIVE)


_ONE_ACTIVE = (
    "one_active_appointment_per_person_and_procedure",
    "one_active_appointment_per_applicant_and_procedure",
)


# --- Appointments ----------------------------------------------------------------


def slot_for_booking(slot_id: int) -> statements.SlotRead | None:
    """The slot with its site and procedure, read outside any transaction, or
    ``None``: what a caller may check (its seats) before ``appointment_book``
    and hand it (``.slot()``)."""
    slot_id = parse_id(slot_id)  # past bigint, PostgreSQL would refuse it (a 500)
    if slot_id is None:
        return None
    return statements.slot_read(slot_id)


def _slot_loaded(slot_id: int, slot: Slot | None = None) -> Slot:
    """``slot`` if it is ``slot_id``'s (read by the caller), else the slot read
    now with its site, procedure and horizon; ``SlotNotFound`` if there is none."""
    if slot is not None and slot.pk == slot_id:
        return slot
    read = slot_for_booking(slot_id)
    if read is None:
        raise errors.SlotNotFound()
    return read.slot()


def _messages_write(rows: Sequence[Model]) -> None:
    """Insert outbox rows that the receivers of ``appointment_messages_wanted``
    built, in their own model (booking does not know it): one INSERT per model."""
    by_model: dict[type[Model], list[Model]] = defaultdict(list)
    for row in rows:
        by_model[type(row)].append(row)
    for model, of_model in by_model.items():
        model.objects.bulk_create(of_model)


def _messages_wanted(
    appointment: Appointment, event: str, now: datetime, *, closure: Closure | None = None
) -> list[Model]:
    """The outbox rows the event owes, unsaved, from the receivers. ``closure``
    is sent only when there is one (a cancellation by a closure)."""
    extra = {} if closure is None else {"closure": closure}
    return [
        row
        for _receiver, rows in signals.appointment_messages_wanted.send(
            sender=Appointment, appointment=appointment, event=event, now=now, **extra
        )
        for row in rows or ()
    ]


def _changed(appointment: Appointment, event: str, now: datetime, messages: list[Model]) -> None:
    """Tell the receivers of ``appointment_changed``, inside the event's transaction."""
    signals.appointment_changed.send(
        sender=Appointment, appointment=appointment, event=event, now=now, messages=messages
    )


def appointment_book(
    *,
    actor: User,
    applicant: Applicant,
    slot_id: int,
    channel: str = Channel.WEB,
    slot: Slot | None = None,
) -> Appointment:
    """Book ``slot_id`` for ``applicant``, on behalf of ``actor``.

    Raises a ``booking.errors`` error and changes nothing when it cannot.
    One read of the slot (none when the caller made it and hands it:
    ``slot_for_booking(...).slot()``), the checks of ``booking.rules``, then
    one statement: the seat, the appointment, its audit row and its outbox
    rows (``booking.statements``). The slot is read outside any transaction:
    what the checks look at is fixed at publication, and the seat itself is
    taken by the conditional UPDATE.
    """
    now = timezone.now()
    slot = _slot_loaded(slot_id, slot)
    rules.booking_check(actor=actor, applicant=applicant, slot=slot, now=now)
    if rules.uses_priority_right(actor, slot):
        # An applicant booking the priority pool with their right: the ORM's
        # path, in one transaction with the right it uses (the public pool's
        # one statement is untouched).
        with transaction.atomic():
            return _appointment_book_with_right(
                actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
            )
    if _for_someone(actor):
        # Staff acting for someone: the receivers of ``acting_for`` (mediation:
        # consent, daily caps) write in the booking's transaction, so that a
        # refused booking takes their writes back with it.
        with transaction.atomic():
            return _appointment_book(
                actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
            )
    return _appointment_book(actor=actor, applicant=applicant, slot=slot, channel=channel, now=now)


def _for_someone(actor: User) -> bool:
    """Does ``actor`` act for someone else (staff), not for themselves?"""
    return actor.role != Role.APPLICANT


def _acting_for(
    *,
    actor: User,
    applicant: Applicant,
    appointment: Appointment,
    slot: Slot,
    event: str,
    now: datetime,
) -> dict:
    """Ask the receivers of ``acting_for`` (which may refuse by raising) and
    return the audit details they add. Caller is in the action's transaction."""
    details: dict = {}
    for _receiver, extra in signals.acting_for.send(
        sender=Appointment,
        actor=actor,
        applicant=applicant,
        appointment=appointment,
        slot=slot,
        event=event,
        now=now,
    ):
        details.update(extra or {})
    return details


def _appointment_book(
    *, actor: User, applicant: Applicant, slot: Slot, channel: str, now: datetime
) -> Appointment:
    """``appointment_book`` once the checks are made: the statement, retried on
    a reference collision. Inside a transaction when staff act for someone."""
    appointment_id = statements.appointment_id_next()
    on_behalf: dict | None = None
    fields: dict = {}
    for _attempt in range(5):
        appointment = _appointment_new(
            actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
        )
        appointment.pk = appointment_id
        if _for_someone(actor):
            if on_behalf is None:
                before = {name: getattr(appointment, name) for name in _ON_BEHALF_FIELDS}
                on_behalf = _acting_for(
                    actor=actor,
                    applicant=applicant,
                    appointment=appointment,
                    slot=slot,
                    event=signals.BOOKED,
                    now=now,
                )
                fields = {
                    name: getattr(appointment, name)
                    for name in _ON_BEHALF_FIELDS
                    if getattr(appointment, name) != before[name]
                }
            else:  # a new reference: the same answers as for the first
                for name, value in fields.items():
                    setattr(appointment, name, value)
        audit = audit_event(
            actor=actor,
            action=AuditAction.APPOINTMENT_BOOKED,
            appointment=appointment,
            details={**_booked_details(slot, channel), **(on_behalf or {})},
        )
        messages = _messages_wanted(appointment, signals.BOOKED, now)
        try:
            # Alone, the statement is its own transaction; inside the caller's,
            # a savepoint keeps a refusal from breaking it.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                written = statements.book(
                    slot_id=slot.pk, appointment=appointment, audit=audit, messages=messages
                )
        except errors.IdentityChanged:
            # The statement also refuses a person under a block (``booking.rules``).
            refusal = rules.block_refusal(
                applicant_id=applicant.pk, procedure_id=slot.procedure_id, now=now
            )
            if refusal is not None:
                raise refusal from None
            raise
        except IntegrityError as exc:
            if _is_one_active_violation(exc):
                raise errors.AlreadyBooked() from None
            if "reference" in constraint_of(exc):
                continue  # 31^8 references: a collision is rare, try another
            raise
        if written is None:
            # No seat. Say "already booked" if that is also true.
            if _has_active_appointment(applicant, slot):
                raise errors.AlreadyBooked()
            raise errors.SlotFull()
        appointment._state.adding = False
        appointment._state.db = connection.alias
        availability_cache.capacity_changed([slot.procedure.slug])
        _changed(appointment, signals.BOOKED, now, messages)
        return appointment
    raise RuntimeError("Could not draw a free appointment reference.")  # pragma: no cover


def _appointment_book_with_right(
    *, actor: User, applicant: Applicant, slot: Slot, channel: str, now: datetime
) -> Appointment:
    """Book a priority slot with the applicant's priority right, and mark the
    right used by this appointment. Caller is in a transaction: a refused
    booking leaves the right unused. The right's row is locked first, so two
    bookings with one right cannot both pass."""
    right = (
        rules.priority_rights_valid(
            applicant_id=applicant.pk, procedure_id=slot.procedure_id, now=now
        )
        .select_for_update()
        .first()
    )
    if right is None:  # used or expired since the checks: as if it never was
        raise errors.SlotNotFound()
    appointment = _appointment_book(
        actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
    )
    right.used_at = now
    right.appointment = appointment
    right.save(update_fields=["used_at", "appointment"])
    return appointment


# What a receiver of ``acting_for`` may set on a new appointment.
_ON_BEHALF_FIELDS = ("access_point_id", "outside_opening_hours")


def _has_active_appointment(applicant: Applicant, slot: Slot) -> bool:
    return Appointment.objects.filter(
        Q(identity_key=applicant.identity_key) | Q(applicant_id=applicant.pk),
        procedure_id=slot.procedure_id,
        status__in=ACTIVE_STATUSES,
    ).exists()


def _booked_details(slot: Slot, channel: str) -> dict:
    return {"slot": slot.pk, "channel": channel}


def _appointment_new(
    *, actor: User, applicant: Applicant, slot: Slot, channel: str, now: datetime
) -> Appointment:
    """The new appointment, not saved: the identity copied, the slot's site and
    procedure already loaded (the messages and the API's answer use them)."""
    appointment = Appointment(
        reference=new_reference(),
        slot=slot,
        procedure=slot.procedure,
        applicant=applicant,
        # The identity as booked (the snapshot the counter checks): the statement
        # re-reads and re-checks it against the locked applicant row.
        **{name: getattr(applicant, name) for name in IDENTITY_SNAPSHOT_FIELDS},
        channel=channel,
        booked_by=actor,
        booked_by_role=actor.role,
        created_at=now,
        updated_at=now,
    )
    return appointment


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
    *, actor: User, appointment: Appointment, closure: Closure | None = None
) -> Appointment:
    """Cancel an active appointment and free its seat, in one transaction.

    ``closure``: the prefecture cancels it because it closes the slot
    (``booking.services.closures``, which holds the slot's lock and takes the
    seat out of capacity). Its messages then say so, with the closure's reason
    and the priority right the person gets; the seat freed is not offered to
    anyone (no ``seat_freed``); the audit row names the closure.
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
        _slot_release(locked.slot_id)
        availability_cache.capacity_changed([locked.procedure.slug])
        messages = _messages_wanted(locked, signals.CANCELLED, now, closure=closure)
        _messages_write(messages)
        _changed(locked, signals.CANCELLED, now, messages)
        if closure is None:
            signals.seat_freed.send(
                sender=Slot, slot=locked.slot, procedure=locked.procedure, now=now
            )
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_CANCELLED,
            appointment=locked,
            details={
                "slot": locked.slot_id,
                **({"closure": closure.pk} if closure is not None else {}),
                **on_behalf,
            },
        )
    return locked


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
        _slot_release(old_slot_id)
        availability_cache.capacity_changed([new_slot.procedure.slug])
        # The seat left behind is freed as a cancellation frees one.
        signals.seat_freed.send(sender=Slot, slot=old_slot, procedure=locked.procedure, now=now)
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
