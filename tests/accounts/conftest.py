from __future__ import annotations

import re

import pytest

from notifications.models import Message
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


def sms_code(destination: str) -> str:
    """The 6-digit code of the last SMS owed to ``destination`` (read from the outbox)."""
    message = last_message(template_key="phone_code", destination=destination)
    assert message is not None, f"no code owed to {destination}"
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def confirm_path(destination: str) -> str:
    """The path of the confirmation link in the last e-mail owed to ``destination``."""
    message = last_message(template_key="email_confirm", destination=destination)
    assert message is not None, f"no link owed to {destination}"
    url = re.search(r"https?://\S+/accounts/verify/email/\S+/", message.text).group(0)
    return "/" + url.split("/", 3)[3]
