"""What the sections of the outbox services share: Paris time and its quiet
hours, batches, and owing messages once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from notifications.models import Message, MessageStatus
from notifications.outbox import enqueue_on_commit

PARIS = ZoneInfo("Europe/Paris")


def batched(items: Iterable, size: int):
    """itertools.batched, which arrives with Python 3.12."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def sms_due_at(*, now: datetime) -> datetime:
    """When an SMS owed at ``now`` may go: ``now``, or the end of the quiet
    hours (08:00 Paris time) when ``now`` is between 21:00 and 08:00."""
    local = now.astimezone(PARIS)
    start, end = settings.NOTIFICATIONS_QUIET_HOURS
    if local.hour >= start:
        day = local.date() + timedelta(days=1)
    elif local.hour < end:
        day = local.date()
    else:
        return now
    return datetime.combine(day, time(end), tzinfo=PARIS)


def messages_owe_new(*, messages: list[Message], now: datetime) -> int:
    """Insert the messages whose key is new (one query to check, one INSERT) and
    hand those due now to the broker after commit, in the list's order."""
    if not messages:
        return 0
    keys = [m.idempotency_key for m in messages]
    with transaction.atomic():
        existing = set(
            Message.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        fresh = [m for m in messages if m.idempotency_key not in existing]
        # ignore_conflicts: a concurrent run that inserted the same keys meanwhile wins.
        Message.objects.bulk_create(fresh, ignore_conflicts=True)
        ids_by_key = dict(
            Message.objects.filter(
                idempotency_key__in=[m.idempotency_key for m in fresh],
                status=MessageStatus.PENDING,
                next_attempt_at__lte=now,
                created_at=now,
            ).values_list("idempotency_key", "pk")
        )
        enqueue_on_commit(
            [ids_by_key[m.idempotency_key] for m in fresh if m.idempotency_key in ids_by_key]
        )
    return len(fresh)
