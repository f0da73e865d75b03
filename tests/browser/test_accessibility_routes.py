"""No page escapes the accessibility harness: a URL pattern that renders HTML has
visits in ``tests/helpers/accessibility/``, or the suite fails, by name.

The rule is asked, not listed. Every case of the permission matrix
(``tests/helpers/matrix/``, which itself fails on a pattern it lacks) is
requested as every persona, and its GET twin too for a case sent by POST (a
POST-only endpoint must not hide a page behind its GET). An answer is a page
when it is HTML with a body; then:

- a success (2xx) is a page of its pattern, which needs visits in ``PAGES``;
- an error (4xx, 5xx) must be rendered from a template that an error visit
  checks (``Visit.template``, verified below against what the view renders).

Redirects, JSON, files (the ``.ics``, the CSV export, the data export), and
empty answers (a webhook's bare 403, a 405) are not pages. Two families are
excepted as a whole, by their place in the URL space, not page by page: the
admin (as the issue says), and the API under ``/api/`` (JSON for programs; its
documentation page is Swagger UI's, a developer tool like the admin; its
template at least declares its language).
"""

from __future__ import annotations

from functools import partial

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.test import Client
from django.urls import path, reverse

from config import urls as project_urls
from tests.helpers.accessibility import ERROR_PAGES, PAGES, Visit, sessions
from tests.helpers.matrix import IGNORED, MATRIX, Case, Personas, is_admin, outcomes, url_patterns
from tests.personas import PERSONAS, World, build_world

pytestmark = pytest.mark.django_db


def is_api(key: str, route: str) -> bool:
    return route.startswith("api/") or key == "^api/"


def is_page(response: HttpResponse) -> bool:
    return (
        "text/html" in response.get("Content-Type", "")
        and bool(getattr(response, "content", b"").strip())
        and response.status_code not in (301, 302, 303, 307, 308)
    )


# The layouts pages extend (rendered after the page's own template).
LAYOUTS = ("base.html", "office/base.html")


def _template(response) -> str | None:
    """The page's own template: the last one rendered that is not the base or an include
    (a view may render a page and then give way: the login form, then the lock-out)."""
    names = [
        template.name
        for template in getattr(response, "templates", None) or []
        if template.name
        and template.name not in LAYOUTS
        and not template.name.startswith(("includes/", "django/forms/", "dsfr/"))
    ]
    return names[-1] if names else None


def checked_templates() -> set[str]:
    return {
        visit.template
        for visits in (*PAGES.values(), *ERROR_PAGES.values())
        for visit in visits
        if visit.template
    }


def unchecked_pages(
    scenario: World, personas: Personas, matrix: dict[str, list[Case]]
) -> list[str]:
    """What the harness misses: the routes and error templates rendering HTML without visits."""
    problems: list[str] = []
    templates = checked_templates()
    routes = url_patterns()
    for key, route in routes:
        if is_admin(key) or key in IGNORED or is_api(key, route):
            continue
        if key not in matrix and key not in PAGES:
            problems.append(f"{key} ({route}): in neither the permission matrix nor PAGES")
    for key, cases in matrix.items():
        route = dict(routes).get(key)
        if route is None or is_api(key, route):
            continue
        asked = [
            *cases,
            *(
                Case(case.expect, kwargs=case.kwargs, path=case.path)
                for case in cases
                if case.method != "GET"
            ),
        ]
        for case in asked:
            url = case.path(scenario) if case.path else reverse(key, kwargs=case.kwargs(scenario))
            data = case.data(scenario) if case.data else None
            query = case.query(scenario) if case.query else None
            for persona in PERSONAS:
                with transaction.atomic():
                    response = personas.request(persona, case.method, url, data, query)
                    transaction.set_rollback(True)
                if not is_page(response):
                    continue
                where = f"{case.method} {key} as {persona} ({response.status_code})"
                if response.status_code < 400 and key not in PAGES:
                    problems.append(f"{where}: renders a page; give it visits in PAGES")
                elif response.status_code >= 400 and _template(response) not in templates:
                    problems.append(
                        f"{where}: renders the error page {_template(response)!r}, "
                        "which no visit checks; add one to ERROR_PAGES"
                    )
    return problems


@pytest.fixture
def world() -> tuple[World, Personas]:
    scenario = build_world()
    return scenario, Personas(scenario)


def test_every_page_has_accessibility_visits(world):
    scenario, personas = world
    problems = unchecked_pages(scenario, personas, MATRIX)
    assert not problems, (
        "Pages without accessibility visits (tests/helpers/accessibility/):\n  "
        + "\n  ".join(problems)
    )


def test_visits_name_existing_patterns():
    routes = {key for key, _route in url_patterns()}
    assert set(PAGES) <= routes, set(PAGES) - routes


def test_error_visits_render_the_template_they_name(world):
    """What ``checked_templates`` trusts: each visit naming a template renders it."""
    scenario, _personas = world
    keys = sessions(scenario)
    problems = []
    for key, visits in [*PAGES.items(), *((f"error:{k}", v) for k, v in ERROR_PAGES.items())]:
        for visit in (visit for visit in visits if visit.template):
            response = _fetch(scenario, keys, key, visit)
            if (response.status_code, _template(response)) != (visit.status, visit.template):
                problems.append(
                    f"{visit.name(key)}: {response.status_code} {_template(response)!r}, "
                    f"not {visit.status} {visit.template!r}"
                )
    assert not problems, "\n".join(problems)


def _fetch(scenario: World, keys: dict[str, str], key: str, visit: Visit):
    client = Client(raise_request_exception=False)
    if visit.persona != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = keys[visit.persona]
    with visit.state(scenario), transaction.atomic():
        url = visit.url(key, scenario)
        send = client.get if visit.errors is None else partial(client.post, data=visit.errors)
        response = send(url)
        transaction.set_rollback(True)
    return response


# --- The harness's teeth: a new page without visits fails it -----------------------------


def _new_page(request):
    return TemplateResponse(request, "core/home.html")


urlpatterns = [*project_urls.urlpatterns, path("new-page/", _new_page, name="new_page")]


@pytest.mark.urls(__name__)
def test_a_new_page_without_visits_is_reported(world):
    scenario, personas = world

    unlisted = unchecked_pages(scenario, personas, MATRIX)
    listed = unchecked_pages(scenario, personas, {**MATRIX, "new_page": [Case(outcomes(200))]})

    assert "new_page (new-page/): in neither the permission matrix nor PAGES" in unlisted
    assert "GET new_page as anonymous (200): renders a page; give it visits in PAGES" in listed
