from __future__ import annotations

from tests.helpers.pages import web  # noqa: F401 - pages in English
