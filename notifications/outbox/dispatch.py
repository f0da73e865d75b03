"""Work the outbox hands to Celery by task name (``core.tasks``: the task is
named, the app is the process's current one; with eager Celery it runs here).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import current_app
from django.conf import settings

from core.tasks import is_eager, registered, task_publish

logger = logging.getLogger(__name__)

__all__ = ["is_eager", "messages_enqueue", "registered", "task_publish"]

# The task names of ``notifications.tasks`` that the outbox and its services publish.
MESSAGE_SEND = "notifications.message_send"
MESSAGES_SEND = "notifications.messages_send"
FREED_SEAT_ALERT = "notifications.freed_seat_alert"


def messages_enqueue(ids: Iterable[int], *, eager: bool | None = None) -> int:
    """Hand message ids to the send tasks; returns how many were handed. Never
    raises: a broker that is down (or slow) must not fail the request that
    committed the event. What is not published stays ``pending`` and the sweep
    publishes it later.

    Ids go in tasks of up to ``NOTIFICATIONS_TASK_BATCH``, one publish each:
    the bookings of a publisher's linger are one publish, and a fan-out is
    limited by the database rather than by Redis round trips. ``eager``: run
    the tasks in this process (default: as Celery is configured).
    """
    ids = list(ids)
    if not ids:
        return 0
    size = settings.NOTIFICATIONS_TASK_BATCH
    if eager is None:
        eager = is_eager()
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    published = 0
    try:
        if eager:
            task = registered(MESSAGES_SEND)
            for batch in batches:
                task.apply(args=(batch,))
                published += len(batch)
            return published
        with current_app.producer_or_acquire() as producer:
            for batch in batches:
                current_app.send_task(
                    MESSAGES_SEND,
                    args=(batch,),
                    producer=producer,
                    retry=True,
                    retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
                )
                published += len(batch)
    except Exception:
        logger.warning(
            "Could not hand %d of %d message(s) to the broker; the sweep will.",
            len(ids) - published,
            len(ids),
            exc_info=True,
        )
    return published
