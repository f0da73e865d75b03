"""The waiting list's routes (issue 19) bounded here (``WAITLIST_ROUTES``); most
of its routes are bounded by the modules of its parts (``elsewhere.py``)."""

from __future__ import annotations

from django.urls import reverse

from tests.helpers.query_bounds.world import Ask

# The waiting list's routes (issue 19), one block per part.
WAITLIST_ROUTES: dict[str, list[Ask]] = {
    # --- Fair allocation: the applicant's waiting-list pages and the offer link (h-wpages)
    # (end of h-wpages)
    # --- Fair allocation: the staff's waiting-list screens, allocation modes (h-wstaff)
    # (end of h-wstaff)
    # --- Fair allocation: the waiting-list and offers API (h-wapi)
    # (end of h-wapi)
    # --- Fair allocation: the proof-of-work challenge (h-altcha)
    # A challenge: signing and a rate-limit count, no query.
    "api:challenge": [
        Ask("anonymous", "get", lambda w: reverse("api:challenge"), 0, 200, label="challenge")
    ],
    # (end of h-altcha)
    # --- Fair allocation: the abuse report and suspensions (h-abuse)
    # (end of h-abuse)
    # --- Fair allocation: transparency (h-transp)
    # (end of h-transp)
}
