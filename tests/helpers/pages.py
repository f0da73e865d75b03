"""The page client most tests read pages with."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def web(client):
    """A client whose pages come in English, so assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def without_tokens(response) -> str:
    """The page less what changes at every request (the CSP nonce, the CSRF token
    and every field's value): two answers that should be the same compare equal."""
    return re.sub(r'(nonce|value)="[^"]*"', "", response.content.decode())
