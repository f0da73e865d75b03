"""The page client most tests read pages with."""

from __future__ import annotations

import pytest


@pytest.fixture
def web(client):
    """A client whose pages come in English, so assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
