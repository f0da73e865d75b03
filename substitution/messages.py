"""The messages a substitution request owes the person: its acknowledgment and
its answer, by SMS and e-mail to the contacts given, in the person's language.

Rendered here, when they are owed, from ``templates/substitution/messages/<kind>/``
(``subject.txt``, ``body.txt``, ``body.html``, ``sms.txt``, as notifications'
templates), then written through the outbox port (``notifications.outbox``) in
the transaction of the event: the worker sends a row that has its text as it
is. Nothing secret is in them: the tracking number alone opens nothing (the
status page also asks the date of birth).
"""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.languages import language_codes
from core.links import public_url
from notifications import outbox
from notifications.models import Message
from substitution.models import SubstitutionRequest

RECEIVED = "substitution_received"
ANSWERED = "substitution_answered"

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


def message_language(language: str) -> str:
    return language if language in language_codes() else settings.LANGUAGE_CODE


def context_of(request: SubstitutionRequest) -> dict:
    appointment = request.appointment
    return {
        "request": request,
        "tracking": request.tracking,
        "due_at": timezone.localtime(request.due_at),
        "appointment": appointment,
        "starts_at": timezone.localtime(appointment.slot.starts_at) if appointment else None,
        "status_url": public_url(reverse("substitution:status")),
    }


def render(*, kind: str, channel: str, request: SubstitutionRequest) -> tuple[str, str, str]:
    """``(subject, text, html)`` of message ``kind`` for ``channel``, in the
    request's language."""
    context = context_of(request)
    base = f"substitution/messages/{kind}"
    with translation.override(message_language(request.language)):
        if channel == "sms":
            text = " ".join(render_to_string(f"{base}/sms.txt", context).split())
            return "", text, ""
        subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
        text = _BLANK_LINES.sub("\n\n", render_to_string(f"{base}/body.txt", context).strip())
        html = render_to_string(f"{base}/body.html", context).strip()
        return subject, text + "\n", html


def messages_owe(*, request: SubstitutionRequest, kind: str, now: datetime) -> list[int]:
    """Owe the person message ``kind`` at each contact they gave (none for a
    postal address only: the letter is printed). Caller is in the event's
    transaction; the ids go to the workers once it commits."""
    rows: list[Message] = []
    for channel, destination in request.contacts:
        subject, text, html = render(kind=kind, channel=channel, request=request)
        rows.append(
            outbox.message_build(
                template_key=kind,
                channel=channel,
                destination=destination,
                language=request.language,
                idempotency_key=f"{kind}:{request.pk}:{channel}",
                now=now,
                subject=subject,
                text=text,
                html=html,
                applicant=request.applicant,
                appointment=request.appointment,
            )
        )
    return outbox.messages_owe(messages=rows)
