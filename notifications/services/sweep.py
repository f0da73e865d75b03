"""The sweep: what got stuck is handed over again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import Message, MessageStatus
from notifications.outbox import messages_enqueue
from notifications.services.announcements import freed_seats_sweep

logger = logging.getLogger(__name__)


def messages_sweep(
    *, now: datetime | None = None, limit: int = 1000, max_rows: int = 100_000
) -> int:
    """Re-queue messages that are due but were never handed over (broker down at
    commit, a lost task, SMS held for the night) and messages stuck in
    ``sending`` past the timeout (a worker died mid-send: they come back
    ``in_doubt``). Returns how many.

    Works through the backlog ``limit`` rows at a time (up to ``max_rows``), in
    primary-key order. Rows are taken with ``FOR UPDATE SKIP LOCKED``, so two
    sweeps at once share the work instead of waiting on each other's locks. A
    re-queued row gets ``next_attempt_at`` = now: the next sweeps leave it to
    its task for ``NOTIFICATIONS_PENDING_GRACE`` instead of queueing it again
    every minute while the workers catch up.
    """
    now = now or timezone.now()
    touch = min(now, timezone.now())  # never later than the workers' clock
    due = now - timedelta(seconds=settings.NOTIFICATIONS_PENDING_GRACE)
    stuck = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
    total, in_doubt, last_pk = 0, 0, 0
    while total < max_rows:
        with transaction.atomic():
            rows = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(
                    Q(status=MessageStatus.PENDING, next_attempt_at__lte=due)
                    | Q(status=MessageStatus.SENDING, claimed_at__lt=stuck),
                    pk__gt=last_pk,
                )
                .order_by("pk")
                .values_list("pk", "status")[:limit]
            )
            if not rows:
                break
            stuck_ids = [pk for pk, status in rows if status == MessageStatus.SENDING]
            pending_ids = [pk for pk, status in rows if status == MessageStatus.PENDING]
            if stuck_ids:
                Message.objects.filter(pk__in=stuck_ids, status=MessageStatus.SENDING).update(
                    status=MessageStatus.PENDING,
                    in_doubt=True,
                    next_attempt_at=touch,
                    updated_at=now,
                )
            if pending_ids:
                Message.objects.filter(pk__in=pending_ids, status=MessageStatus.PENDING).update(
                    next_attempt_at=touch
                )
        ids = [pk for pk, _status in rows]
        messages_enqueue(ids)
        total += len(ids)
        in_doubt += len(stuck_ids)
        last_pk = ids[-1]
        if len(ids) < limit:
            break
    if total:
        logger.info("Sweep: re-queued %d message(s), %d in doubt.", total, in_doubt)
    # Alerts owed by a freed seat whose task was lost: handed over again.
    freed_seats_sweep(now=now)
    return total
