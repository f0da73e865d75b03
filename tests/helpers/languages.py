"""Arabic in the settings for a test, whether or not they list it yet: the
right-to-left tests run before and after the Arabic catalogue lands."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings


@pytest.fixture
def arabic():
    if any(code == "ar" for code, _name in settings.LANGUAGES):
        yield
        return
    with override_settings(LANGUAGES=[*settings.LANGUAGES, ("ar", "Arabic")]):
        yield
