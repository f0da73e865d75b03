"""The messages a suspension owes the person: that their account is suspended
(with the reason and how to contest it) and that the suspension is lifted.

Rendered here, when they are owed, in the account's language, from
``templates/office/abuse/messages/<kind>/`` (``subject.txt``, ``body.txt``,
``body.html``, ``sms.txt``, as notifications' templates), then written through
the outbox port (``notifications.outbox``) in the suspension's transaction: the
worker sends the row as it is. By e-mail to the account's address, and by SMS
to its phone once confirmed. Essential: they go even to a number that replied
STOP (the person must know their appointments were cancelled and why).
"""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from core.languages import language_codes
from core.links import public_url
from notifications import outbox

SUSPENDED = "account_suspended"
LIFTED = "account_suspension_lifted"

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


def _language(user: User) -> str:
    return user.language if user.language in language_codes() else settings.LANGUAGE_CODE


def render(*, kind: str, channel: str, user: User, event_id: int) -> tuple[str, str, str]:
    """``(subject, text, html)`` of message ``kind`` for ``channel``."""
    context = {
        "reason": user.suspension_reason,
        "suspended_at": timezone.localtime(user.suspended_at) if user.suspended_at else None,
        "case": f"S-{event_id}",
        "contest_url": public_url(reverse("substitution:request")),
    }
    base = f"office/abuse/messages/{kind}"
    with translation.override(_language(user)):
        if channel == "sms":
            return "", " ".join(render_to_string(f"{base}/sms.txt", context).split()), ""
        subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
        text = _BLANK_LINES.sub("\n\n", render_to_string(f"{base}/body.txt", context).strip())
        html = render_to_string(f"{base}/body.html", context).strip()
        return subject, text + "\n", html


def messages_owe(*, user: User, kind: str, event_id: int, now: datetime) -> list[int]:
    """Owe ``user`` message ``kind`` by e-mail, and by SMS to a confirmed
    phone. Caller is in the suspension's (or lift's) transaction."""
    contacts = [("email", user.email)]
    if user.phone and user.phone_verified_at is not None:
        contacts.append(("sms", user.phone))
    rows = []
    for channel, destination in contacts:
        subject, text, html = render(kind=kind, channel=channel, user=user, event_id=event_id)
        rows.append(
            outbox.message_build(
                template_key=kind,
                channel=channel,
                destination=destination,
                language=_language(user),
                idempotency_key=f"{kind}:{event_id}:{channel}",
                now=now,
                subject=subject,
                text=text,
                html=html,
                user=user,
            )
        )
    return outbox.messages_owe(messages=rows)
