"""What a person was sent: the code of the last SMS, the link of the last e-mail.

The outbox does not hold the code or link of a confirmation
(``accounts.messages``): the worker renders it at each attempt, as here.
"""

from __future__ import annotations

import re

from notifications.models import Message
from notifications.services import render_secret


def last_message(*, template_key: str, destination: str | None = None) -> Message:
    messages = Message.objects.filter(template_key=template_key)
    if destination is not None:
        messages = messages.filter(destination=destination)
    return messages.order_by("-pk").first()


def sent_text(message: Message) -> str:
    """The text the worker sends for ``message``."""
    return render_secret(message).text


def sms_code(destination: str) -> str:
    """The 6-digit code of the last SMS owed to ``destination`` (as the worker sends it)."""
    message = last_message(template_key="phone_code", destination=destination)
    assert message is not None, f"no code owed to {destination}"
    return re.search(r"\b(\d{6})\b", sent_text(message)).group(1)


def confirm_path(destination: str) -> str:
    """The path of the confirmation link in the last e-mail owed to ``destination``."""
    message = last_message(template_key="email_confirm", destination=destination)
    assert message is not None, f"no link owed to {destination}"
    url = re.search(r"https?://\S+/accounts/verify/email/\S+/", sent_text(message)).group(0)
    return "/" + url.split("/", 3)[3]
