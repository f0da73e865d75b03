from __future__ import annotations

from tests.audit.conftest import web  # noqa: F401 - pages in English, from a known address
