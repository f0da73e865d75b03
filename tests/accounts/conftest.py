from __future__ import annotations

import re

import pytest

from notifications.models import Message
from notifications.services import render_secret
from tests.browser.conftest import browser  # noqa: F401 - the browser suite's Chromium fixture


@pytest.fixture
def web(client):
    """A client whose pages come in English, so assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def last_message(*, template_key: str, destination: str | None = None) -> Message:
    messages = Message.objects.filter(template_key=template_key)
    if destination is not None:
        messages = messages.filter(destination=destination)
    return messages.order_by("-pk").first()


def sent_text(message: Message) -> str:
    """The text the worker sends for ``message``: the outbox does not hold the
    code or link of a confirmation (``accounts.messages``), the worker renders
    it at each attempt, as here."""
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
