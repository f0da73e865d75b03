"""Query counts of the routes and form actions the other query-count modules
leave out, and a check that every route of the site has one.

The first modules bound the applicant's pages, the API's reads and bookings
(``tests/test_query_counts.py``) and the staff pages
(``tests/test_query_counts_staff.py``). Here: the account pages that log in and
out, confirm contacts, reset and change a password and handle the second
factor; the staff actions; Twilio's webhooks; the audit export; the API's
token revocation, documentation and JSON 404; the language switch. And the
actions (POST) of forms whose page (GET) is bounded there: registering,
changing one's e-mail or phone, deleting one's account, recording and
correcting an identity, starting and stopping an alert, saving a staff
account, new backup codes, lifting a lock-out, an agent's correction (booking,
cancelling and rescheduling through the pages are bounded there too). Each
request is the one a person (or Twilio, or an API client) makes, in a world
with several of what an N+1 would multiply: the applicant's tokens,
appointments, alerts and messages, staff with sites, devices and tokens, SMS
in the outbox, failed logins, audit rows, added to the persona world
(``tests/personas.py``). The bounds are what the code does today; the
comments say what the queries are.

The world and the tables of requests are in ``tests/helpers/query_bounds/``, one
module per group of routes (``BOUNDED_HERE``); the routes other modules bound, with
their test, in its ``elsewhere.py`` (``BOUNDED_ELSEWHERE``).
``test_every_route_has_a_query_bound`` fails when a route has no bound in either.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, resolve

from tests.helpers.query_bounds import (
    BOUNDED_ELSEWHERE,
    BOUNDED_HERE,
    PUBLIC_BASE_URL,
    TWILIO_TOKEN,
    World,
    busy_routes_world,
    log_in_as,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client, settings, persona_world) -> World:
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    return busy_routes_world(client, persona_world)


def _params() -> Iterator:
    for route, asks in BOUNDED_HERE.items():
        for ask in asks:
            name = f"{route} {ask.method.upper()}" + (f" ({ask.label})" if ask.label else "")
            yield pytest.param(route, ask, id=name)


@pytest.mark.parametrize(("route", "ask"), list(_params()))
def test_route_takes_a_bounded_number_of_queries(world, route, ask, django_assert_max_num_queries):
    headers = log_in_as(world, ask.who)
    if ask.before is not None:
        ask.before(world)
    url = ask.url(world)
    assert resolve(urlsplit(url).path).view_name == route
    data = ask.data(world) if ask.data is not None else {}
    if ask.headers is not None:
        headers = {**headers, **ask.headers(world, url, data)}
    send = getattr(world.client, ask.method)
    args = (url, data) if data else (url,)

    with django_assert_max_num_queries(ask.bound):
        response = send(*args, **headers)
        if response.streaming:  # the rows are read as the answer is sent
            b"".join(response.streaming_content)

    assert response.status_code == ask.status, (url, response.status_code)


# --- Every route has a bound ------------------------------------------------------------------

QUERY_GUARDS = (
    "django_assert_max_num_queries",
    "django_assert_num_queries",
    "CaptureQueriesContext",
)


def _routes(patterns, namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, inner)
        elif pattern.name:  # not the ``^api/`` catch-all nor the static files
            yield namespace + pattern.name


def _counts_queries(function: Callable) -> bool:
    """The test counts queries itself or through a helper of its module."""
    module = inspect.getmodule(function)
    called = {
        node.func.id
        for node in ast.walk(ast.parse(inspect.getsource(function)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    helpers = [
        getattr(module, name)
        for name in called
        if inspect.isfunction(getattr(module, name, None))
        and getattr(module, name).__module__ == module.__name__
    ]
    return any(
        guard in inspect.getsource(each) for each in (function, *helpers) for guard in QUERY_GUARDS
    )


def test_every_route_has_a_query_bound():
    routes = {
        name for name in _routes(get_resolver().url_patterns) if not name.startswith("admin:")
    }
    problems = [
        f"{route}: no query bound (add it to a table of tests/helpers/query_bounds/"
        " or to BOUNDED_ELSEWHERE)"
        for route in sorted(routes - set(BOUNDED_HERE) - set(BOUNDED_ELSEWHERE))
    ]
    problems += [
        f"{route}: in BOUNDED_HERE but no longer a route"
        for route in sorted(set(BOUNDED_HERE) - routes)
    ]
    for route, reference in sorted(BOUNDED_ELSEWHERE.items()):
        if route not in routes:
            problems.append(f"{route}: in BOUNDED_ELSEWHERE but no longer a route")
        path, _, name = reference.partition("::")
        try:
            module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        except ImportError:
            problems.append(f"{route}: {reference}: no such module")
            continue
        function = getattr(module, name, None)
        if not inspect.isfunction(function):
            problems.append(f"{route}: {reference} does not exist")
        elif not _counts_queries(function):
            problems.append(f"{route}: {reference} counts no queries")

    assert not problems, "\n".join(problems)
