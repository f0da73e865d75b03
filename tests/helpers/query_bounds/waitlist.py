"""The waiting list's routes (issue 19) bounded here (``WAITLIST_ROUTES``); most
of its routes are bounded by the modules of its parts (``elsewhere.py``)."""

from __future__ import annotations

from django.urls import reverse

from tests.helpers.query_bounds.world import Ask

# The waiting list's routes (issue 19) bounded here: its other pages and API are
# bounded by their own modules (``elsewhere.py``).
WAITLIST_ROUTES: dict[str, list[Ask]] = {
    # The proof-of-work challenge: signing and a rate-limit count, no query.
    "api:challenge": [
        Ask("anonymous", "get", lambda w: reverse("api:challenge"), 0, 200, label="challenge")
    ],
}
