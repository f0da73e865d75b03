from tests.helpers.browser import browser  # noqa: F401 - the Chromium fixture of the browser tests
from tests.helpers.languages import arabic  # noqa: F401 - Arabic in LANGUAGES for a test
from tests.helpers.page_weight import (  # noqa: F401 - static files served as in production
    collected_static,
    production_server,
)
