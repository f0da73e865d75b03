"""The e-mail transport: Django's e-mail backend (SMTP in production, the
console in development), multipart text and HTML, with the appointment's
``.ics`` attached to confirmations, reschedules, reminders and cancellations:
the event the text tells of, from the same data (``rendering.event_slot``)."""

from __future__ import annotations

import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import translation

from booking.ics import appointment_ics, ics_sequence
from booking.models import AppointmentStatus, Slot
from notifications.rendering import event_slot
from notifications.transport import PermanentSendError, TransientSendError

# The iTIP method (RFC 5546) of each appointment e-mail's calendar file. All
# share the appointment's UID; the SEQUENCE of each is its event's.
ICS_METHODS = {
    "appointment_booked": "REQUEST",
    "appointment_rescheduled": "REQUEST",
    "appointment_reminder": "REQUEST",
    "appointment_cancelled": "CANCEL",
}


def build(message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.destination],
        # The same Message-ID on a resend: mail clients show a duplicate once.
        headers={"Message-ID": f"<guichet-{message.pk}@{_domain()}>"},
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    method = ICS_METHODS.get(message.template_key)
    if method and message.appointment_id:
        ics = _calendar(message, method)
        if ics is not None:
            email.attach(
                f"{message.appointment.reference}.ics",
                ics,
                f"text/calendar; method={method}",
            )
    return email


def _calendar(message, method: str) -> str | None:
    """The ``.ics`` of the event ``message`` tells of: its slot and version as
    kept at the event (``Message.context``), not the appointment's state now."""
    appointment = message.appointment
    cancelling = method == "CANCEL"
    sequence = message.context.get("sequence")
    if sequence is None:  # owed before the version was kept, or a reminder
        if message.template_key == "appointment_reminder":
            if appointment.status == AppointmentStatus.CANCELLED:
                return None  # a reminder must not put a cancelled appointment back
            sequence = ics_sequence(appointment)
        elif message.template_key == "appointment_booked":
            sequence = 0
        else:
            sequence = appointment.reschedule_count + (1 if cancelling else 0)
    try:
        slot = event_slot(message)
    except Slot.DoesNotExist:
        raise PermanentSendError("the slot of the event no longer exists") from None
    with translation.override(message.language):
        return appointment_ics(
            appointment,
            slot=slot,
            sequence=sequence,
            cancelled=cancelling,
            method=method,
            stamp=message.created_at,
            organizer=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
            attendee=message.destination,
        )


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1]
    return address.strip(">").strip() or "guichet.localhost"


def send(message) -> None:
    """Send ``message`` (a ``notifications.models.Message`` with its appointment,
    slot, site and procedure selected). Raises a ``SendError`` when it fails."""
    email = build(message)
    try:
        get_connection(fail_silently=False).send_messages([email])
    except smtplib.SMTPResponseException as exc:
        detail = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentSendError(detail) from exc
        raise TransientSendError(detail) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        detail = f"SMTP recipients refused: {exc.recipients!r}"
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentSendError(detail) from exc
        raise TransientSendError(detail) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
