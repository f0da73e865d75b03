"""The messages an appointment event owes its applicant."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from booking.models import Appointment
from notifications import outbox
from notifications.models import Message
from notifications.rendering import appointment_context, event_context, event_slot, render
from notifications.services.contacts import applicant_contacts
from notifications.transport import PermanentSendError

BOOKED = "appointment_booked"
CANCELLED = "appointment_cancelled"
RESCHEDULED = "appointment_rescheduled"
REMINDER = "appointment_reminder"


def appointment_notify(
    *, appointment: Appointment, event: str, now: datetime | None = None
) -> list[int]:
    """Owe the applicant the messages of ``event`` (booked, cancelled, rescheduled).

    Caller is inside the event's transaction (the booking hot path): this costs
    one INSERT for all channels and nothing else. The text is rendered by the
    worker before the first send (``appointment_message_render``), from the
    slot the appointment had at the event, which the row keeps in ``context``.
    The ids go to Celery once the transaction commits (nothing is sent for a
    booking that rolls back).
    """
    messages = appointment_messages(appointment=appointment, event=event, now=now)
    return outbox.messages_owe(messages=messages)


def appointment_messages(
    *, appointment: Appointment, event: str, now: datetime | None = None
) -> list[Message]:
    """The rows ``appointment_notify`` inserts, not saved: for a service that
    writes them within a statement of its own (the booking's one-statement
    path), and then hands their ids to ``enqueue_on_commit``."""
    now = now or timezone.now()
    applicant = appointment.applicant
    contacts = applicant_contacts(applicant=applicant, now=now)
    # A reschedule can happen several times: each one owes its own messages.
    occurrence = f":r{appointment.reschedule_count}" if event == RESCHEDULED else ""
    return [
        outbox.message_build(
            applicant=applicant,
            appointment=appointment,
            channel=channel,
            template_key=event,
            language=applicant.preferred_language,
            destination=destination,
            context=event_context(appointment),
            idempotency_key=f"{event}:{appointment.pk}{occurrence}:{channel}:a{applicant.pk}",
            now=now,
        )
        for channel, destination in contacts
    ]


def appointment_message_render(*, message: Message) -> None:
    """Fill in the text of a message owed by an appointment event, as of the event.

    Raises ``PermanentSendError`` when there is nothing left to render from.
    """
    appointment = message.appointment
    if appointment is None:
        raise PermanentSendError("the appointment no longer exists")
    event_slot(message)  # moved since: the message speaks of the time it was owed for
    rendered = render(
        key=message.template_key,
        channel=message.channel,
        language=message.language,
        context=appointment_context(appointment),
    )
    message.subject, message.text, message.html = (
        rendered.subject[:200],
        rendered.text,
        rendered.html,
    )
