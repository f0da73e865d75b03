"""The accounts' message writer: an outbox row per message that carries a secret."""

from __future__ import annotations

from accounts.models import User
from notifications import outbox


def _owe(
    *, user: User, key: str, channel: str, destination: str, context: dict, idempotency_key: str
) -> int:
    """Owe one message to ``user`` through the outbox port; handed to the workers
    after commit.

    Every message owed here carries a secret (``accounts.messages``): the row
    keeps ``context``, which holds no secret, and no body; the worker derives
    the secret and renders the body at each attempt, in memory only.
    """
    return outbox.message_owe(
        user=user,
        template_key=key,
        channel=channel,
        destination=destination,
        language=user.language,
        context=context,
        idempotency_key=idempotency_key,
    )
