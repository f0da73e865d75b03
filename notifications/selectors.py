"""Reads of the outbox that staff screens and the admin share."""

from __future__ import annotations

from django.db.models import QuerySet

from booking.models import Applicant, Appointment
from notifications.models import Message


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
