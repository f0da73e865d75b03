from __future__ import annotations

import pytest

from tests.helpers.audit import CLIENT_IP


@pytest.fixture
def web(client):
    """Pages in English (assertions read the source strings), from a known address."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.defaults["REMOTE_ADDR"] = CLIENT_IP
    return client
