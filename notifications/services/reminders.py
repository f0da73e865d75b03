"""Reminders of appointments a few days ahead."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from booking.models import Appointment, AppointmentStatus
from notifications import outbox
from notifications.models import Message, MessageChannel
from notifications.rendering import appointment_context, render
from notifications.services.appointments import REMINDER
from notifications.services.common import batched, messages_owe_new, sms_due_at
from notifications.services.contacts import applicant_contacts, walk_in_contacts_withheld


def reminders_create(*, now: datetime | None = None) -> int:
    """Owe a reminder for each appointment that starts within
    ``NOTIFICATIONS_REMINDER_DAYS`` and has none yet for its current slot.

    Appointments booked inside that window are skipped: their confirmation
    was the reminder. Idempotent: the key is per appointment and slot, so a
    second run creates nothing and a reschedule gets a new reminder.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.NOTIFICATIONS_REMINDER_DAYS)
    appointments = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            slot__starts_at__gt=now,
            slot__starts_at__lte=horizon,
            created_at__lt=F("slot__starts_at")
            - timedelta(days=settings.NOTIFICATIONS_REMINDER_DAYS),
        ).select_related("slot__site", "slot__procedure", "applicant__user")
    )
    created = 0
    for chunk in batched(appointments, 500):
        candidates = []
        withheld = walk_in_contacts_withheld(
            applicants=[appointment.applicant for appointment in chunk], now=now
        )
        for appointment in chunk:
            applicant = appointment.applicant
            for channel, destination in applicant_contacts(
                applicant=applicant, now=now, withheld=withheld
            ):
                key = (
                    f"{REMINDER}:{appointment.pk}:s{appointment.slot_id}:{channel}:a{applicant.pk}"
                )
                candidates.append((key, appointment, channel, destination))
        existing = set(
            Message.objects.filter(
                idempotency_key__in=[key for key, *_rest in candidates]
            ).values_list("idempotency_key", flat=True)
        )
        messages = []
        for key, appointment, channel, destination in candidates:
            if key in existing:
                continue
            language = appointment.applicant.preferred_language
            rendered = render(
                key=REMINDER,
                channel=channel,
                language=language,
                context=appointment_context(appointment),
            )
            messages.append(
                outbox.message_build(
                    template_key=REMINDER,
                    channel=channel,
                    destination=destination,
                    language=language,
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    idempotency_key=key,
                    now=now,
                    essential=False,
                    applicant=appointment.applicant,
                    appointment=appointment,
                    next_attempt_at=sms_due_at(now=now) if channel == MessageChannel.SMS else now,
                )
            )
        created += messages_owe_new(messages=messages, now=now)
    return created
