from tests.helpers.browser import browser  # noqa: F401 - the Chromium fixture of the browser tests
