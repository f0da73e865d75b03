"""Fixtures of the record of attempts' tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.helpers.pages import web  # noqa: F401 - pages in English


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The deduplication windows and the rate limits count nothing from other tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def logged_in(web, applicant):  # noqa: F811 - the imported fixture, by name
    web.force_login(applicant.user)
    return web
