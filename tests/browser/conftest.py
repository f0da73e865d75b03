from tests.helpers.browser import browser  # noqa: F401 - the Chromium fixture of the browser tests
from tests.helpers.page_weight import (  # noqa: F401 - static files served as in production
    collected_static,
    production_server,
)
