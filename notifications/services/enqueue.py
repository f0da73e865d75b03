"""Handing the ids of committed outbox rows to the send tasks."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction

from notifications import publisher

logger = logging.getLogger(__name__)


def enqueue_on_commit(ids: Sequence[int]) -> None:
    """Hand ``ids`` to the send tasks once the caller's transaction commits.

    Off the request's path: the ids go to this process's background publisher
    (``notifications.publisher``), which publishes the ids of the commits of a
    short linger as one task. Published at once, in the committing thread, as
    before: when Celery is eager (the embedded defaults, the tests: delivery
    happens before the request returns), when ``NOTIFICATIONS_PUBLISH_LINGER_MS``
    is 0, and for a batch's worth of ids or more (a fan-out, in a worker: it
    gains nothing from waiting, and would crowd a request's ids out of the queue).
    """
    if ids:
        ids = list(ids)
        transaction.on_commit(lambda: _hand_over(ids))


def _hand_over(ids: list[int]) -> None:
    from config.celery import app

    if (
        app.conf.task_always_eager
        or not settings.NOTIFICATIONS_PUBLISH_LINGER_MS
        or len(ids) >= settings.NOTIFICATIONS_TASK_BATCH
    ):
        messages_enqueue(ids)
    else:
        publisher.publisher().submit(ids)


def messages_enqueue(ids: Iterable[int], *, eager: bool | None = None) -> int:
    """Hand message ids to the send tasks. Never raises: a broker that is down
    (or slow) must not fail the request that committed the event. What is not
    published stays ``pending`` and the sweep publishes it later.

    Ids go in tasks of up to ``NOTIFICATIONS_TASK_BATCH``, one publish each:
    the bookings of a publisher's linger are one publish, and a fan-out is
    limited by the database rather than by Redis round trips. ``eager``: run
    the tasks in this process (default: as Celery is configured).
    """
    from config.celery import app
    from notifications.tasks import messages_send_task

    ids = list(ids)
    if not ids:
        return 0
    size = settings.NOTIFICATIONS_TASK_BATCH
    if eager is None:
        eager = app.conf.task_always_eager
    jobs = [
        (messages_send_task, (ids[i : i + size],), len(ids[i : i + size]))
        for i in range(0, len(ids), size)
    ]
    published = 0
    try:
        if eager:
            for task, args, count in jobs:
                task.apply(args=args)
                published += count
            return published
        with app.producer_or_acquire() as producer:
            for task, args, count in jobs:
                task.apply_async(
                    args=args,
                    producer=producer,
                    retry=True,
                    retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
                )
                published += count
    except Exception:
        logger.warning(
            "Could not hand %d of %d message(s) to the broker; the sweep will.",
            len(ids) - published,
            len(ids),
            exc_info=True,
        )
    return published
