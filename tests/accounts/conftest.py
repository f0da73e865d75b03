from __future__ import annotations

from tests.helpers.browser import browser  # noqa: F401 - the Chromium fixture of the browser tests
from tests.helpers.pages import web  # noqa: F401 - pages in English
