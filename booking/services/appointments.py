"""Every change of booking or capacity state goes through these functions.

Invariants, held by the database and not only here:
- ``Slot.booked`` never exceeds ``Slot.capacity`` (CHECK constraint); it is
  changed only by conditional UPDATEs, never read-modified-written in Python.
- one active appointment per identity and procedure (partial UNIQUE index).
Lock order, to keep transactions free of deadlocks: an appointment row first,
then slot rows in primary-key order.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role, User
from accounts.permissions import (
    allowed_pools,
    can_act_for,
    is_verified,
)
from audit.models import AuditAction
from audit.services import audit_event, audit_record
from booking import availability_cache, errors, rules, statements
from booking.models import (
    ACTIVE_STATUSES,
    Applicant,
    Appointment,
    AppointmentStatus,
    Channel,
    Slot,
    new_reference,
)
from core.db import constraint_of
from core.parsing import parse_id
from notifications import services as notifications

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


def _check_visible(*, actor: User, slot: Slot, now: datetime) -> None:
    """Raise ``SlotNotFound`` if ``actor`` may not see ``slot``: before any
    other check, so that nothing tells such a slot from one that does not exist."""
    procedure = slot.procedure
    if rules.slot_hidden(
        pool=slot.pool,
        published_at=slot.published_at,
        starts_at=slot.starts_at,
        horizon_end=rules.horizon_end(procedure, now),
        pools=allowed_pools(actor),
        privileged=rules.is_privileged(actor),
        now=now,
    ):
        raise errors.SlotNotFound()


def _check_bookable(*, actor: User, applicant: Applicant, slot: Slot, now: datetime) -> None:
    """Raise the first reason why ``actor`` may not book ``slot`` for ``applicant``."""
    _check_visible(actor=actor, slot=slot, now=now)
    if not can_act_for(actor, applicant, site_id=slot.site_id):
        raise errors.NotAllowed()
    if actor.role == Role.APPLICANT and not is_verified(actor):
        # The account is the protection against farmed identities: no booking
        # (nor move) before both the e-mail and the phone are confirmed.
        raise errors.AccountNotVerified()
    procedure = slot.procedure
    if not (procedure.is_active and slot.site.is_active):
        raise errors.ProcedureUnavailable()
    if actor.role == Role.APPLICANT and not procedure.self_booking:
        raise errors.ProcedureNotSelfBookable()
    if slot.starts_at <= now:
        raise errors.SlotInPast()
    if not rules.is_privileged(actor) and slot.starts_at < now + timedelta(
        hours=procedure.cutoff_hours
    ):
        raise errors.BookingClosed()
    if not procedure.accepts(applicant.document_type):
        raise errors.DocumentNotAccepted(required=procedure.get_required_document_display())


def _get_slot(slot_id: int) -> Slot:
    try:
        return Slot.objects.select_related("site", "procedure__horizon").get(pk=slot_id)
    except (Slot.DoesNotExist, ValueError, TypeError):
        raise errors.SlotNotFound() from None


def _is_one_active_violation(exc: IntegrityError) -> bool:
    text = constraint_of(exc)
    return (
        "one_active_appointment_per_person_and_procedure" in text
        or "one_active_appointment_per_applicant_and_procedure" in text
        or "booking_appointment.identity_key" in text
        or "booking_appointment.applicant_id" in text
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
    On PostgreSQL the seat, the appointment, its audit row and its outbox rows
    are one statement (``booking.statements``), after one read of the slot
    (``slot``, when the caller already made it: ``slot_for_booking(...).slot()``);
    elsewhere (SQLite, ``make run``) the ORM does the same work in a
    transaction, reading the slot again.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _appointment_book_statement(
            actor=actor, applicant=applicant, slot_id=slot_id, channel=channel, now=now, slot=slot
        )
    with transaction.atomic():
        slot = _get_slot(slot_id)
        _check_bookable(actor=actor, applicant=applicant, slot=slot, now=now)
        # A cheap early refusal; the partial unique index is the guarantee.
        if _has_active_appointment(applicant, slot):
            raise errors.AlreadyBooked()
        _slot_claim(slot.pk)
        availability_cache.capacity_changed([slot.procedure.slug])
        appointment = _appointment_insert(
            actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
        )
        appointment.procedure = slot.procedure  # already loaded: no query for the messages
        notifications.appointment_notify(
            appointment=appointment, event=notifications.BOOKED, now=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_BOOKED,
            appointment=appointment,
            details=_booked_details(slot, channel),
        )
        return appointment


def _appointment_book_statement(
    *,
    actor: User,
    applicant: Applicant,
    slot_id: int,
    channel: str,
    now: datetime,
    slot: Slot | None,
) -> Appointment:
    """``appointment_book`` on PostgreSQL: one read, then one statement.

    The slot is read outside any transaction: what the checks look at is fixed
    at publication, and the seat itself is taken by the conditional UPDATE.
    """
    if slot is None or slot.pk != slot_id:
        read = slot_for_booking(slot_id)
        slot = None if read is None else read.slot()
    if slot is None:
        raise errors.SlotNotFound()
    _check_bookable(actor=actor, applicant=applicant, slot=slot, now=now)
    appointment_id = statements.appointment_id_next()
    for _attempt in range(5):
        appointment = _appointment_new(
            actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
        )
        appointment.pk = appointment_id
        audit = audit_event(
            actor=actor,
            action=AuditAction.APPOINTMENT_BOOKED,
            appointment=appointment,
            details=_booked_details(slot, channel),
        )
        messages = notifications.appointment_messages(
            appointment=appointment, event=notifications.BOOKED, now=now
        )
        try:
            # Alone, the statement is its own transaction; inside the caller's,
            # a savepoint keeps a refusal from breaking it.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                message_ids = statements.book(
                    slot_id=slot.pk, appointment=appointment, audit=audit, messages=messages
                )
        except IntegrityError as exc:
            if _is_one_active_violation(exc):
                raise errors.AlreadyBooked() from None
            if "reference" in constraint_of(exc):
                continue  # 31^8 references: a collision is rare, try another
            raise
        if message_ids is None:
            # No seat. Say "already booked" if that is also true, as the ORM path does.
            if _has_active_appointment(applicant, slot):
                raise errors.AlreadyBooked()
            raise errors.SlotFull()
        appointment._state.adding = False
        appointment._state.db = connection.alias
        availability_cache.capacity_changed([slot.procedure.slug])
        notifications.enqueue_on_commit(message_ids)
        return appointment
    raise RuntimeError("Could not draw a free appointment reference.")  # pragma: no cover


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
        identity_key=applicant.identity_key,
        surname=applicant.surname,
        given_names=applicant.given_names,
        birth_date=applicant.birth_date,
        nationality=applicant.nationality,
        document_type=applicant.document_type,
        document_number=applicant.document_number,
        channel=channel,
        booked_by=actor,
        booked_by_role=actor.role,
        created_at=now,
        updated_at=now,
    )
    return appointment


def _appointment_insert(
    *, actor: User, applicant: Applicant, slot: Slot, channel: str, now: datetime
) -> Appointment:
    for _attempt in range(5):
        appointment = _appointment_new(
            actor=actor, applicant=applicant, slot=slot, channel=channel, now=now
        )
        try:
            with transaction.atomic():
                appointment.save(force_insert=True)
        except IntegrityError as exc:
            if _is_one_active_violation(exc):
                raise errors.AlreadyBooked() from None
            if "reference" in constraint_of(exc):
                continue  # 31^8 references: a collision is rare, try another
            raise
        return appointment
    raise RuntimeError("Could not draw a free appointment reference.")  # pragma: no cover


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


def appointment_cancel(*, actor: User, appointment: Appointment) -> Appointment:
    """Cancel an active appointment and free its seat, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        locked = _appointment_lock(appointment)
        if not can_act_for(actor, locked.applicant, site_id=locked.slot.site_id):
            raise errors.NotAllowed()
        if locked.status != AppointmentStatus.BOOKED:
            raise errors.AppointmentNotActive()
        if locked.slot.starts_at <= now:
            raise errors.AppointmentPast()
        locked.status = AppointmentStatus.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_by = actor
        locked.updated_at = now
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
        _slot_release(locked.slot_id)
        availability_cache.capacity_changed([locked.procedure.slug])
        notifications.appointment_notify(appointment=locked, event=notifications.CANCELLED, now=now)
        notifications.freed_seat_owe(slot=locked.slot, procedure=locked.procedure, now=now)
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_CANCELLED,
            appointment=locked,
            details={"slot": locked.slot_id},
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
        locked = _appointment_lock(appointment)
        # Where it is now; where it goes is checked with the new slot below.
        if not can_act_for(actor, locked.applicant, site_id=locked.slot.site_id):
            raise errors.NotAllowed()
        if locked.status != AppointmentStatus.BOOKED:
            raise errors.AppointmentNotActive()
        if locked.slot.starts_at <= now:
            raise errors.AppointmentPast()
        new_slot = _get_slot(new_slot_id)
        if new_slot.pk == locked.slot_id:
            raise errors.SameSlot()
        # A slot of another procedure is not one this appointment may see.
        if new_slot.procedure_id != locked.procedure_id:
            raise errors.SlotNotFound()
        _check_bookable(actor=actor, applicant=locked.applicant, slot=new_slot, now=now)
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
        notifications.freed_seat_owe(slot=old_slot, procedure=locked.procedure, now=now)
        locked.slot = new_slot
        locked.reschedule_count = F("reschedule_count") + 1
        locked.updated_at = now
        locked.save(update_fields=["slot", "reschedule_count", "updated_at"])
        locked.refresh_from_db(fields=["reschedule_count"])
        notifications.appointment_notify(
            appointment=locked, event=notifications.RESCHEDULED, now=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_RESCHEDULED,
            appointment=locked,
            details={
                "from_slot": old_slot_id,
                "from_starts_at": old_starts_at.isoformat(),
                "to_slot": new_slot.pk,
                "to_starts_at": new_slot.starts_at.isoformat(),
            },
        )
    return locked
