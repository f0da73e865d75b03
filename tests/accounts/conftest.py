from __future__ import annotations

import pytest

from tests.helpers.browser import browser  # noqa: F401 - the Chromium fixture of the browser tests


@pytest.fixture
def web(client):
    """A client whose pages come in English, so assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
