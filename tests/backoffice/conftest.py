from __future__ import annotations

from tests.helpers.audit import web  # noqa: F401 - pages in English, from a known address
