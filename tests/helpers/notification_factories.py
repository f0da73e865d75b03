"""Small builders for outbox rows used by several notification tests."""

from __future__ import annotations

import uuid

from django.utils import timezone

from notifications.models import Message, MessageChannel, MessageStatus


def sent_sms(**fields) -> Message:
    values = {
        "channel": MessageChannel.SMS,
        "template_key": "appointment_booked",
        "destination": "+33612345678",
        "text": "Guichet : RDV confirmé",
        "status": MessageStatus.SENT,
        "attempts": 1,
        "provider_id": "SM" + uuid.uuid4().hex,
        "idempotency_key": f"test:{uuid.uuid4().hex}",
        "sent_at": timezone.now(),
    }
    values.update(fields)
    return Message.objects.create(**values)
