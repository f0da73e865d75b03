"""Fixtures the applicant's booking pages share."""

from __future__ import annotations

import pytest

from tests.helpers.pages import web  # noqa: F401 - pages in English


@pytest.fixture
def logged_in(web, applicant):  # noqa: F811 - the imported fixture, by name
    """The English page client, logged in as the applicant."""
    web.force_login(applicant.user)
    return web
