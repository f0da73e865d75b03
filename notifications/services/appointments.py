"""The messages an appointment event owes its applicant."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from booking.models import Appointment, Closure, PriorityRight
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
    *,
    appointment: Appointment,
    event: str,
    now: datetime | None = None,
    closure: Closure | None = None,
) -> list[Message]:
    """The rows ``appointment_notify`` inserts, not saved: for a service that
    writes them within a statement of its own (the booking's one-statement
    path), and then hands their ids to ``enqueue_on_commit``. ``closure``: the
    cancellation is the prefecture's (the text gives its reason and the
    priority right, read when it is rendered)."""
    now = now or timezone.now()
    context = event_context(appointment)
    if closure is not None:
        context["closure"] = closure.pk
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
            context=context,
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
    context = appointment_context(appointment)
    if (closure_id := message.context.get("closure")) is not None:
        context.update(_closure_context(appointment, closure_id))
    rendered = render(
        key=message.template_key,
        channel=message.channel,
        language=message.language,
        context=context,
    )
    message.subject, message.text, message.html = (
        rendered.subject[:200],
        rendered.text,
        rendered.html,
    )


def _closure_context(appointment: Appointment, closure_id: int) -> dict:
    """What a cancellation by a closure adds to the text: the closure's reason
    and until when the person may book the priority pool (the right it gave)."""
    closure = Closure.objects.filter(pk=closure_id).first()
    right = PriorityRight.objects.filter(
        closure_id=closure_id,
        applicant_id=appointment.applicant_id,
        procedure_id=appointment.procedure_id,
    ).first()
    return {
        "closed_by_prefecture": True,
        "closure_reason": closure.reason if closure is not None else "",
        "priority_until": timezone.localtime(right.valid_until) if right is not None else None,
    }
