"""The accounts' message writer: an outbox row per message that carries a secret."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from notifications.models import Message


def _owe(
    *, user: User, key: str, channel: str, destination: str, context: dict, idempotency_key: str
) -> int:
    """Write one outbox row for ``user`` and hand it to the workers after commit.

    Every message owed here carries a secret (``accounts.messages``): the row
    keeps ``context``, which holds no secret, and no body; the worker derives
    the secret and renders the body at each attempt, in memory only.
    """
    from notifications.services import enqueue_on_commit

    now = timezone.now()
    message = Message.objects.create(
        user=user,
        channel=channel,
        template_key=key,
        language=user.language,
        destination=destination,
        context=context,
        essential=True,
        idempotency_key=idempotency_key,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    enqueue_on_commit([message.pk])
    return message.pk


def public_url(path: str) -> str:
    """``path`` on the public site, for the links the worker puts in a message.
    The same as ``notifications.rendering.public_url``, which accounts must not
    import (it is above); both belong in core."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
