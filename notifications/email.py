"""The e-mail transport: Django's e-mail backend (SMTP in production, the
console in development), multipart text and HTML, with the appointment's
``.ics`` attached to confirmations and reschedules."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import translation

from booking.ics import appointment_ics
from notifications.transport import PermanentSendError, TransientSendError

ICS_KEYS = frozenset({"appointment_booked", "appointment_rescheduled", "appointment_reminder"})


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
    if message.template_key in ICS_KEYS and message.appointment_id:
        with translation.override(message.language):
            ics = appointment_ics(message.appointment)
        email.attach(f"{message.appointment.reference}.ics", ics, "text/calendar; method=PUBLISH")
    return email


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
