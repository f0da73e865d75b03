"""The outbox port: how any app owes a message, and how its id reaches Celery.

The one place that builds a ``Message`` row (``message_build``) and hands the
ids of committed rows to the send tasks (``enqueue_on_commit``). Lower layers
(accounts, booking) write their outbox rows through it, so this package
imports nothing but Django, Celery, ``core`` and ``notifications.models``:
rendering, transports and tasks sit above it, and tasks are reached by name
(``notifications.outbox.dispatch``).

A message is written **in the same transaction** as the event that owes it;
``transaction.on_commit`` hands its id to Celery, through the process's
background publisher (``notifications.outbox.publisher``), which publishes
the ids of a short linger as one task, off the request's path. If the id is
not published (the broker down, the publisher's queue full, the process
killed first) the row stays ``pending`` and the sweep
(``notifications.services.messages_sweep``) publishes it later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import Message
from notifications.outbox import publisher
from notifications.outbox.dispatch import is_eager, messages_enqueue

__all__ = ["enqueue_on_commit", "message_build", "message_owe", "messages_enqueue", "messages_owe"]


def message_build(
    *,
    template_key: str,
    channel: str,
    destination: str,
    language: str,
    idempotency_key: str,
    now: datetime,
    context: dict | None = None,
    subject: str = "",
    text: str = "",
    html: str = "",
    essential: bool = True,
    user=None,
    applicant=None,
    appointment=None,
    next_attempt_at: datetime | None = None,
) -> Message:
    """An outbox row, not saved, due at ``next_attempt_at`` (default ``now``).

    Either rendered already (``subject``, ``text``, ``html``; the subject is cut
    to its column) or left blank with the ``context`` the worker renders it
    from before its first send: an appointment event's (``rendering.
    event_context``) or a secret's (``accounts.messages``: a row that carries a
    secret keeps no body). ``essential`` rows go even to a number that replied
    STOP. ``idempotency_key`` is unique: the same event owes each person each
    message once.
    """
    return Message(
        user=user,
        applicant=applicant,
        appointment=appointment,
        channel=channel,
        template_key=template_key,
        language=language,
        destination=destination,
        subject=subject[:200],
        text=text,
        html=html,
        context={} if context is None else context,
        essential=essential,
        idempotency_key=idempotency_key,
        next_attempt_at=next_attempt_at or now,
        created_at=now,
        updated_at=now,
    )


def messages_owe(*, messages: Sequence[Message]) -> list[int]:
    """Insert ``messages`` (one INSERT) and hand their ids to the send tasks once
    the caller's transaction commits; returns the ids. Caller is inside the
    transaction of the event that owes them, if any (outside one, the ids go at
    once). A duplicate ``idempotency_key`` raises ``IntegrityError``."""
    if not messages:
        return []
    ids = [message.pk for message in Message.objects.bulk_create(messages)]
    enqueue_on_commit(ids)
    return ids


def message_owe(**fields) -> int:
    """``message_build(**fields)`` (``now`` defaults to the present), owed at
    once as ``messages_owe`` does; returns its id."""
    fields.setdefault("now", timezone.now())
    [message_id] = messages_owe(messages=[message_build(**fields)])
    return message_id


def enqueue_on_commit(ids: Sequence[int]) -> None:
    """Hand ``ids`` to the send tasks once the caller's transaction commits
    (nothing is handed for a transaction that rolls back).

    Off the request's path: the ids go to this process's background publisher,
    which publishes the ids of the commits of a short linger as one task.
    Published at once, in the committing thread: when Celery is eager (the
    embedded defaults, the tests: delivery happens before the request returns),
    when ``NOTIFICATIONS_PUBLISH_LINGER_MS`` is 0, and for a batch's worth of
    ids or more (a fan-out, in a worker: it gains nothing from waiting, and
    would crowd a request's ids out of the queue).
    """
    if ids:
        ids = list(ids)
        transaction.on_commit(lambda: _hand_over(ids))


def _hand_over(ids: list[int]) -> None:
    if (
        is_eager()
        or not settings.NOTIFICATIONS_PUBLISH_LINGER_MS
        or len(ids) >= settings.NOTIFICATIONS_TASK_BATCH
    ):
        messages_enqueue(ids)
    else:
        publisher.publisher().submit(ids)
