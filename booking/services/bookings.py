"""Booking an appointment.

A booking is one read of the slot, the checks of ``booking.rules``, then one
statement (``booking.statements``) that takes the seat and writes the
appointment, its audit row and its outbox rows; in a transaction when it uses a
priority right or staff act for someone. The invariants the database holds and
the lock order are stated in ``booking.services.appointments``.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditAction
from audit.services import audit_event
from booking import availability_cache, errors, rules, signals, statements
from booking.models import (
    ACTIVE_STATUSES,
    IDENTITY_SNAPSHOT_FIELDS,
    Applicant,
    Appointment,
    Channel,
    PriorityRight,
    Slot,
    new_reference,
)
from booking.services.appointment_steps import (
    _acting_for,
    _changed,
    _for_someone,
    _messages_wanted,
)
from core.db import constraint_of
from core.parsing import parse_id


def _is_one_active_violation(exc: IntegrityError) -> bool:
    """The partial unique indexes of one active appointment per person and procedure."""
    violated = constraint_of(exc)
    return any(name in violated for name in _ONE_ACTIVE)


_ONE_ACTIVE = (
    "one_active_appointment_per_person_and_procedure",
    "one_active_appointment_per_applicant_and_procedure",
)


# --- Booking ------------------------------------------------------------------


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


def appointment_book_held(
    *,
    actor: User | None,
    applicant: Applicant,
    slot_id: int,
    channel: str = Channel.WEB,
    slot: Slot | None = None,
) -> Appointment:
    """Book for ``applicant`` the seat of ``slot_id`` held for them (an offer of
    the waiting list they accept: ``allocation.services.offer_accept``, which
    answers for the hold being theirs). The hold becomes the booking: the
    slot's pool is not asked (the pool ``queue`` is nobody's), every other rule
    is (``rules.held_booking_check``). Caller is in a transaction: a refused
    booking gives the hold back with it. ``SeatNotHeld`` if the slot holds none.
    ``actor`` ``None``: the person answers their own offer by its link (the
    token is the authority, no account acts): booked by nobody, as an applicant."""
    now = timezone.now()
    slot = _slot_loaded(slot_id, slot)
    rules.held_booking_check(actor=actor, applicant=applicant, slot=slot, now=now)
    return _appointment_book(
        actor=actor, applicant=applicant, slot=slot, channel=channel, now=now, held=True
    )


def _appointment_book(
    *,
    actor: User | None,
    applicant: Applicant,
    slot: Slot,
    channel: str,
    now: datetime,
    held: bool = False,
) -> Appointment:
    """``appointment_book`` once the checks are made: the statement, retried on
    a reference collision. Inside a transaction when staff act for someone.
    ``held``: the seat is the one held for the person (``SeatNotHeld`` if none is)."""
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
                    slot_id=slot.pk,
                    appointment=appointment,
                    audit=audit,
                    messages=messages,
                    held=held,
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
            if held:
                raise errors.SeatNotHeld()
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
    # Used: the right no longer puts the person ahead on the procedure's waiting list.
    signals.priority_changed.send(
        sender=PriorityRight,
        applicant_ids=[applicant.pk],
        procedure_id=slot.procedure_id,
        reason=signals.RIGHT_USED,
        details={"priority_right": right.pk, "appointment": appointment.pk},
        actor=actor,
        now=now,
    )
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
    *, actor: User | None, applicant: Applicant, slot: Slot, channel: str, now: datetime
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
        # No actor: the person by their offer's link (``appointment_book_held``).
        booked_by_role=actor.role if actor is not None else Role.APPLICANT,
        created_at=now,
        updated_at=now,
    )
    return appointment
