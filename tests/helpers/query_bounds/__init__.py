"""The query bounds of ``tests/test_query_counts_routes.py``: the routes and form
actions the other query-count modules leave out, and the index of the routes those
modules bound.

- ``world``: the busy world the requests are made in (``busy_routes_world``), one
  request of a table (``Ask``) and who makes it (``log_in_as``).
- The tables, each keyed by the route's name (each request is checked to resolve
  to it): ``accounts`` (``ACCOUNT_ROUTES``), ``api`` (``API_ROUTES``, Twilio's
  ``WEBHOOK_ROUTES``), ``staff_and_forms`` (``STAFF_ROUTES``, ``FORM_ROUTES``),
  ``others`` (``CLAIM_ROUTES``, ``CONVOCATION_ROUTES``, ``OTHER_ROUTES``),
  ``waitlist`` (``WAITLIST_ROUTES``); merged here into ``BOUNDED_HERE``, where a
  route in two tables fails at import rather than one silently replacing the other.
- ``elsewhere``: ``BOUNDED_ELSEWHERE``, the routes bounded by the test of another
  module.

A page loads its session and user (2 queries; a staff session also its OTP
device: 3). A transaction's BEGIN and COMMIT are, in a test's own transaction, a
SAVEPOINT and its RELEASE: 2 more queries per transaction (and per nested one).
The bounds are what the code does today; the comments say what the queries are.
"""

from __future__ import annotations

from tests.helpers.query_bounds.accounts import ACCOUNT_ROUTES
from tests.helpers.query_bounds.api import API_ROUTES, WEBHOOK_ROUTES
from tests.helpers.query_bounds.elsewhere import BOUNDED_ELSEWHERE
from tests.helpers.query_bounds.others import CLAIM_ROUTES, CONVOCATION_ROUTES, OTHER_ROUTES
from tests.helpers.query_bounds.staff_and_forms import FORM_ROUTES, STAFF_ROUTES
from tests.helpers.query_bounds.waitlist import WAITLIST_ROUTES
from tests.helpers.query_bounds.world import (
    PUBLIC_BASE_URL,
    TWILIO_TOKEN,
    Ask,
    World,
    busy_routes_world,
    log_in_as,
)


def _merged(*tables: dict[str, list[Ask]]) -> dict[str, list[Ask]]:
    """The tables in one, in their order; a route in two of them is an error."""
    merged: dict[str, list[Ask]] = {}
    for table in tables:
        for route, asks in table.items():
            if route in merged:
                raise ValueError(f"{route}: bounded in two tables; keep one")
            merged[route] = asks
    return merged


BOUNDED_HERE = _merged(
    WAITLIST_ROUTES,
    API_ROUTES,
    ACCOUNT_ROUTES,
    WEBHOOK_ROUTES,
    STAFF_ROUTES,
    FORM_ROUTES,
    CLAIM_ROUTES,
    CONVOCATION_ROUTES,
    OTHER_ROUTES,
)

__all__ = [
    "ACCOUNT_ROUTES",
    "API_ROUTES",
    "BOUNDED_ELSEWHERE",
    "BOUNDED_HERE",
    "CLAIM_ROUTES",
    "CONVOCATION_ROUTES",
    "FORM_ROUTES",
    "OTHER_ROUTES",
    "PUBLIC_BASE_URL",
    "STAFF_ROUTES",
    "TWILIO_TOKEN",
    "WAITLIST_ROUTES",
    "WEBHOOK_ROUTES",
    "Ask",
    "World",
    "busy_routes_world",
    "log_in_as",
]
