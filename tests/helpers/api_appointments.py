"""What the API's appointment tests share: the endpoint, a slot moved to the past."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from booking.models import Slot

URL = "/api/v1/appointments/"  # the collection; one appointment: f"{URL}{reference}/"


def slot_moved_to_the_past(slot):
    """Move ``slot`` to an hour ago, in the database only (the object is left as it was)."""
    now = timezone.now()
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=now - timedelta(minutes=40)
    )
