"""What booking, cancelling and moving an appointment share: a seat taken or
given back, the outbox rows an event owes and the receivers told
(``booking.signals``), what the receivers of ``acting_for`` say when staff act
for someone. Callers are in the event's transaction (or its one statement); the
invariants and the lock order are stated in ``booking.services.appointments``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db.models import F, Model

from accounts.models import Role, User
from booking import errors, signals
from booking.models import (
    Applicant,
    Appointment,
    Closure,
    Slot,
)

# --- Seats ---------------------------------------------------------------------


def _slot_claim(slot_id: int) -> None:
    """Take one seat of the slot or raise ``SlotFull``. Caller is in a transaction
    and marks availability out of date (``availability_cache.capacity_changed``)."""
    claimed = Slot.objects.filter(pk=slot_id, capacity__gt=F("booked") + F("held")).update(
        booked=F("booked") + 1
    )
    if claimed != 1:
        raise errors.SlotFull()


def _slot_release(slot_id: int) -> None:
    """Give one seat back. Caller is in a transaction, has an active appointment
    on it and marks availability out of date (``availability_cache.capacity_changed``)."""
    Slot.objects.filter(pk=slot_id).update(booked=F("booked") - 1)


# --- Messages and receivers ----------------------------------------------------


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


# --- Staff acting for someone --------------------------------------------------


def _for_someone(actor: User | None) -> bool:
    """Does ``actor`` act for someone else (staff), not for themselves? ``None``:
    the person themselves by their offer's link."""
    return actor is not None and actor.role != Role.APPLICANT


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
