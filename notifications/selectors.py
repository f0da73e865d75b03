"""Reads of the outbox that staff screens and the admin share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db.models import QuerySet

from booking.models import Applicant, Appointment
from notifications.models import Message, MessageStatus


def messages_for(
    *, appointment: Appointment | None = None, applicant: Applicant | None = None
) -> QuerySet[Message]:
    """The messages owed to an applicant or about an appointment, newest first,
    with their delivery status. One of the two is required."""
    if appointment is None and applicant is None:
        raise ValueError("messages_for needs an appointment or an applicant.")
    messages = Message.objects.all()
    if appointment is not None:
        messages = messages.filter(appointment=appointment)
    if applicant is not None:
        messages = messages.filter(applicant=applicant)
    return messages.order_by("-created_at", "-pk")


def messages_of_appointments(
    appointment_ids: Iterable[int | Appointment],
) -> dict[int, list[Message]]:
    """The messages about each appointment of ``appointment_ids`` (ids, or
    appointments), newest first, in one query: what the mediator console shows
    of each booking (channel, status, sent, delivered or failed, when).

    Every appointment asked for is a key, with an empty list when nothing was
    owed (a walk-in with neither phone nor e-mail). The HTML body and the
    rendering context are not loaded (``deferred``): the console does not show
    them. ``message_delivery`` says, for one message, where it stands.
    The caller decides who may see which appointments (the selector does not).
    """
    ids = [getattr(each, "pk", each) for each in appointment_ids]
    found: dict[int, list[Message]] = {pk: [] for pk in ids}
    if not ids:
        return found
    rows = (
        Message.objects.filter(appointment_id__in=ids)
        .defer("html", "context")
        .order_by("-created_at", "-pk")
    )
    for message in rows:
        found[message.appointment_id].append(message)
    return found


class Delivery(NamedTuple):
    """Where a message stands: ``state`` is ``"pending"`` (owed, not yet
    accepted by the provider), ``"sent"`` (accepted; an e-mail stays here, an SMS
    until Twilio reports), ``"delivered"`` (Twilio's status callback said so) or
    ``"failed"`` (refused, undelivered, or given up after the retries); ``at``
    is when it got there."""

    state: str
    at: datetime | None


_FAILED = frozenset({MessageStatus.FAILED, MessageStatus.UNDELIVERED})


def message_delivery(message: Message) -> Delivery:
    """``message``'s ``Delivery``, from the fields Twilio's callbacks and the worker set."""
    if message.status == MessageStatus.DELIVERED:
        return Delivery("delivered", message.delivered_at)
    if message.status in _FAILED:
        return Delivery("failed", message.updated_at)
    if message.status == MessageStatus.SENT:
        return Delivery("sent", message.sent_at)
    return Delivery("pending", message.created_at)
