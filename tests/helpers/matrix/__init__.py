"""The permission matrix: every URL of the project, what each persona gets there.

``MATRIX`` maps each URL pattern (its namespaced name, or its route) to its
cases; each case says what every persona of ``tests/personas.py`` gets, asked
in the persona world. ``admin_rule`` is the one rule of the admin's patterns,
``ADMIN_SAMPLES`` what the administrator gets. ``Personas`` holds one logged-in
client per persona and ``ask`` asks a case as one of them, in a savepoint that
is rolled back. The matrix itself is ``tests/test_permission_matrix.py``; the
route fuzzer (``tests/test_fuzz_routes.py``) walks the same routes and clients.

Outcomes: a status code, or ``LOGIN`` (a redirect to the login page),
``ADMIN_LOGIN``, ``OTP`` (to the second-factor pages), ``REDIRECT`` (any other).

The rooms, each re-exported here (import from ``tests.helpers.matrix``):

- ``expectations``: the outcomes, their builders per kind of page and for the
  API, and ``Case``;
- ``data``: the URL arguments and bodies more than one area sends, and the
  rows some cases need (``closure_at``, ``substitution_request``,
  ``injunction_at``);
- one module per area of ``MATRIX``, in its order: ``public_and_accounts``
  (public pages, the substitution route, accounts and their supervision),
  ``staff`` (the agents' and supervisors' back office), ``mediators`` (the
  mediators' console), ``applicants`` (booking, convocations, alerts, the
  record of attempts), ``api`` (the API but fair allocation's),
  ``fair_allocation`` (the waiting list, offers, abuse, transparency), and
  last the API's answer to any other path (``api.ANYTHING_ELSE``);
- ``machinery``: the URL patterns, the admin's rule, the personas' clients,
  asking a case.

A URL name belongs to one area: two areas that share one fail at import.
"""

from __future__ import annotations

from tests.helpers.matrix import (
    api,
    applicants,
    fair_allocation,
    mediators,
    public_and_accounts,
    staff,
)
from tests.helpers.matrix.data import (
    _calendar_day,
    closure_at,
    injunction_at,
    substitution_request,
)
from tests.helpers.matrix.expectations import (
    ADMIN_LOGIN,
    ANY_REDIRECT,
    API_READ,
    INJUNCTION_STAFF,
    LOGIN,
    OTP,
    PUBLIC,
    REDIRECT,
    REFUSALS,
    SUBSTITUTION_STAFF,
    Case,
    api_mediators,
    api_visible,
    api_writes,
    applicant_page,
    console,
    counter,
    counter_api,
    logged_in,
    office,
    outcomes,
    seen_by,
    supervisors_only,
)
from tests.helpers.matrix.machinery import (
    ADMIN_SAMPLES,
    IGNORED,
    Personas,
    admin_kwargs,
    admin_rule,
    ask,
    is_admin,
    outcome_of,
    snapshot,
    url_patterns,
)


def _assembled(*areas: tuple[str, dict[str, list[Case]]]) -> dict[str, list[Case]]:
    """The areas' cases in one dict, in the areas' order; a URL name that two areas
    both give is an error, never one area's cases silently replacing the other's."""
    matrix: dict[str, list[Case]] = {}
    area_of: dict[str, str] = {}
    for area, cases in areas:
        shared = sorted(key for key in cases if key in area_of)
        if shared:
            raise ValueError(
                "URL names in two areas of the permission matrix: "
                + ", ".join(f"{key} ({area_of[key]} and {area})" for key in shared)
            )
        area_of.update(dict.fromkeys(cases, area))
        matrix.update(cases)
    return matrix


MATRIX: dict[str, list[Case]] = _assembled(
    ("public_and_accounts", public_and_accounts.CASES),
    ("staff", staff.CASES),
    ("mediators", mediators.CASES),
    ("applicants", applicants.CASES),
    ("api", api.CASES),
    ("fair_allocation", fair_allocation.CASES),
    ("api.ANYTHING_ELSE", api.ANYTHING_ELSE),
)

__all__ = [
    "ADMIN_LOGIN",
    "ADMIN_SAMPLES",
    "ANY_REDIRECT",
    "API_READ",
    "IGNORED",
    "INJUNCTION_STAFF",
    "LOGIN",
    "MATRIX",
    "OTP",
    "PUBLIC",
    "REDIRECT",
    "REFUSALS",
    "SUBSTITUTION_STAFF",
    "Case",
    "Personas",
    "_calendar_day",
    "admin_kwargs",
    "admin_rule",
    "api_mediators",
    "api_visible",
    "api_writes",
    "applicant_page",
    "ask",
    "closure_at",
    "console",
    "counter",
    "counter_api",
    "injunction_at",
    "is_admin",
    "logged_in",
    "office",
    "outcome_of",
    "outcomes",
    "seen_by",
    "snapshot",
    "substitution_request",
    "supervisors_only",
    "url_patterns",
]
