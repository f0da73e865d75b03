"""A real headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright: the
``browser`` fixture (conftests import it where browser tests live) and the phone's viewport."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}


@contextmanager
def chromium_launched():
    """Debian's Chromium, headless, closed (and the database connections its
    event loop's thread opened) on exit.

    Playwright's sync API runs an event loop in this thread, which makes Django
    refuse ORM calls from the test body unless told it is safe (it is: the
    test code itself is synchronous).
    """
    if not CHROMIUM.exists():
        pytest.fail(
            "The browser tests need Debian's chromium at /usr/bin/chromium: "
            "run `bash scripts/ensure-test-services.sh` (or `apt-get install chromium`)."
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
                # Database connections opened while the loop ran belong to its context:
                # close them here, or the test database cannot be dropped at the end.
                connections.close_all()


@pytest.fixture
def browser():
    """One Chromium per test, stopped before the database is flushed."""
    with chromium_launched() as chromium:
        yield chromium
