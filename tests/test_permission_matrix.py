"""The permission matrix: every URL of the project, every persona, the status each gets.

``test_every_url_pattern_has_an_entry`` walks the URL resolver (web pages, the
API and the admin): a new pattern without an entry in ``MATRIX`` fails it, by
name. ``test_permission_matrix`` asks every case of ``MATRIX``
(``tests/helpers/matrix/``) in the persona world (``tests/personas.py``: two
sites, two access points, an appointment the applicant booked at the site, one
the point's mediator booked for a walk-in at the same site, one the other
applicant booked at the other site, an API token, an alert subscription) as
each persona:

    anonymous, applicant, other_applicant, mediator (of the point),
    other_mediator, agent (of the site), other_agent, supervisor

and reports every difference at once. Staff log in with a confirmed TOTP
device and an OTP-verified session (``tests.auth.login``); the API is called
with the session, then again with an API token per persona. A POST-only URL
is asked by POST, and the form pages by POST too; a refused POST (a login
redirect or a 4xx) must change nothing in the domain tables. Each request
runs in a savepoint that is rolled back, so a granted POST does not change
what the next persona sees.

The admin (``admin:*``, a hundred patterns) follows one rule instead of one
entry per pattern (``admin_rule``): none of the personas has ``is_staff``, so
every admin URL sends each of them to the admin's login page (the login page
itself answers 200; a GET of logout is sent back to the admin). The rule is
asked of the anonymous visitor, the applicant and the supervisor, for every
admin pattern; the administrator (a superuser) is asked a representative
subset (``ADMIN_SAMPLES``). What staff given ``is_staff`` see there is tested
in ``tests/test_admin_scopes.py``.

Outcomes: a status code, or ``LOGIN`` (a redirect to the login page),
``ADMIN_LOGIN``, ``OTP`` (to the second-factor pages), ``REDIRECT`` (any other).
``PERMISSION_MATRIX_PRINT=1`` prints what each persona got, to fill an entry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest
from django.urls import reverse

from tests.helpers.matrix import (
    ADMIN_SAMPLES,
    IGNORED,
    MATRIX,
    Case,
    Personas,
    admin_kwargs,
    admin_rule,
    ask,
    is_admin,
    url_patterns,
)
from tests.personas import PERSONAS, World, build_world


def test_every_url_pattern_has_an_entry():
    missing = sorted(
        f"{key}  ({route})"
        for key, route in url_patterns()
        if key not in MATRIX and not is_admin(key) and key not in IGNORED
    )
    assert not missing, (
        "URL patterns without an entry in MATRIX (tests/helpers/matrix/, the module of "
        "their area; say what each persona gets):\n  " + "\n  ".join(missing)
    )


@pytest.fixture
def world(db) -> tuple[World, Personas]:
    scenario = build_world()
    return scenario, Personas(scenario)


def _check_matrix(scenario: World, personas: Personas, keys: Callable[[str], bool]) -> None:
    routes = dict(url_patterns())
    show = os.environ.get("PERMISSION_MATRIX_PRINT")
    problems: list[str] = []
    for key, cases in MATRIX.items():
        if key not in routes or not keys(key):
            continue  # an entry for a URL that another branch has not merged yet
        for case in cases:
            path = case.path(scenario) if case.path else reverse(key, kwargs=case.kwargs(scenario))
            name = f"{case.method} {key}{' [' + case.label + ']' if case.label else ''}"
            got_row = {}
            for persona in PERSONAS:
                got, changed = ask(personas, persona, case, path, scenario)
                got_row[persona] = got
                expected = case.expect.get(persona)
                if got != expected:
                    problems.append(f"{name} as {persona}: expected {expected!r}, got {got!r}")
                if changed:
                    problems.append(f"{name} as {persona}: refused, yet it changed the data")
            if show:
                print(f"{name} {got_row}")
    assert not problems, "\n".join(problems)


def test_permission_matrix(world):
    """Every entry, pages and API, with each persona's session."""
    scenario, personas = world
    _check_matrix(scenario, personas, keys=lambda key: True)


def _is_api(key: str) -> bool:
    return key.startswith("api:") or key == "^api/"


def test_permission_matrix_of_the_api_with_tokens(world):
    """The API entries again, each persona sending an API token instead of a session."""
    scenario, _sessions = world
    _check_matrix(scenario, Personas(scenario, tokens=True), keys=_is_api)


# The rule is asked of the personas it is about: nobody, an applicant, and the
# most privileged of the staff personas (none of whom has ``is_staff``).
ADMIN_RULE_PERSONAS = ("anonymous", "applicant", "supervisor")


def _admin_path(key: str, route: str) -> str:
    if key.startswith("admin:"):
        return reverse(key, kwargs=admin_kwargs(route))
    if "(?P<url>" in route:  # the catch-all
        return "/admin/no-such-page/"
    # An unnamed pattern: the old object URL that redirects to its change page.
    return "/" + re.sub(r"<[^>]+>", "1", route)


def test_every_admin_url_refuses_the_personas(world):
    scenario, personas = world
    problems: list[str] = []
    admin_routes = [(key, route) for key, route in url_patterns() if is_admin(key)]
    assert len(admin_routes) > 20  # the walk reached the admin
    for key, route in admin_routes:
        path = _admin_path(key, route)
        case = Case(expect=admin_rule(key))
        for persona in ADMIN_RULE_PERSONAS:
            got, _changed = ask(personas, persona, case, path, scenario)
            if got != case.expect[persona]:
                problems.append(
                    f"GET {key} ({path}) as {persona}: expected {case.expect[persona]!r}, "
                    f"got {got!r}"
                )
    assert not problems, "\n".join(problems)


def test_the_administrator_reaches_the_admin(world):
    scenario, personas = world
    problems: list[str] = []
    for key, kwargs, expected in ADMIN_SAMPLES:
        path = reverse(key, kwargs=kwargs(scenario))
        got, _changed = ask(personas, "administrator", Case(expect={}), path, scenario)
        if got != expected:
            problems.append(f"GET {key} as administrator: expected {expected!r}, got {got!r}")
    assert not problems, "\n".join(problems)
