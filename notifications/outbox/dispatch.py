"""Work handed to Celery by task name.

Nothing here imports a task module or the Celery app of ``config``: the task
is named, and the app is the process's current one (``config.celery``'s,
which the Django fix-up makes the default in every thread). With eager Celery
(the embedded defaults, the tests) the task runs here, in the calling thread,
as ``Task.apply_async`` would; its module is imported on first use through
Celery's own autodiscovery when nothing imported it yet (a web process).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

# The task names of ``notifications.tasks`` that the outbox and its services publish.
MESSAGE_SEND = "notifications.message_send"
MESSAGES_SEND = "notifications.messages_send"
FREED_SEAT_ALERT = "notifications.freed_seat_alert"


def is_eager() -> bool:
    """Whether Celery runs tasks in the calling process (``CELERY_TASK_ALWAYS_EAGER``)."""
    return bool(current_app.conf.task_always_eager)


def _registered(name: str):
    app = current_app
    if name not in app.tasks:
        app.autodiscover_tasks(force=True)  # what a worker does at start-up
    return app.tasks[name]


def task_publish(name: str, *, args: Sequence, **options) -> None:
    """Publish task ``name`` with ``args`` (JSON), retrying the connection as
    ``CELERY_TASK_PUBLISH_RETRY_POLICY`` says; with eager Celery, run it now.
    ``options`` are ``send_task``'s (``eta``, ``producer``). Raises what the
    broker or, eager, the task raises: the caller decides what a failure costs.
    """
    if is_eager():
        _registered(name).apply(args=tuple(args))
        return
    current_app.send_task(
        name,
        args=tuple(args),
        retry=True,
        retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
        **options,
    )


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
            task = _registered(MESSAGES_SEND)
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
