"""``/api/v1/``: JSON only, session or token authentication.

Every error, an unknown URL included, is JSON ``{code, detail}`` (``core.api``).
"""

from csp.constants import NONCE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.antibot.api import ChallengeView
from core.api import api_not_found

app_name = "api"

urlpatterns = [
    # The storms' routes first (a booking, a join): Django tries the patterns
    # in order, and each one before costs every request of a storm its match.
    path("", include("booking.api.urls")),
    path("", include("allocation.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("substitution.api.urls")),
    path("", include("mediation.api.urls")),
    path("", include("backoffice.api.urls")),
    path("challenge/", ChallengeView.as_view(), name="challenge"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from this URL (?script), not inline,
    # so the Content-Security-Policy keeps script-src 'self'; its one inline <style>
    # carries a nonce (templates/drf_spectacular/swagger_ui.html).
    path(
        "docs/",
        csp_update({"style-src": [NONCE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    # Last: anything else under /api/v1/ is a JSON 404, not the HTML page.
    re_path(r"^.*$", api_not_found, name="not-found"),
]
