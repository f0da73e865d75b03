"""The main pages, with JavaScript on, under the Content-Security-Policy: no
violation reported by Chromium (no script, style or resource refused)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.auth import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(live_server, user) -> dict:
    client = login(Client(), user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _visit(browser, live_server, paths: list[str], user=None, wait_for: dict | None = None):
    """Load each path; return the CSP violations (console and report events)."""
    context = browser.new_context(locale="en-GB")
    if user is not None:
        context.add_cookies([_session_cookie(live_server, user)])
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    statuses = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        if wait_for and path in wait_for:
            page.wait_for_selector(wait_for[path], timeout=15_000)
        statuses[path] = response.status
        assert "Content-Security-Policy" in response.headers or (
            response.headers.get("content-security-policy")
        ), path
    context.close()
    return violations, statuses


def test_public_pages_raise_no_csp_violation(live_server, browser):
    paths = [
        reverse("home"),
        reverse("accounts:login"),
        reverse("accounts:register"),
        reverse("accounts:password_reset"),
        reverse("mediation:points"),
        reverse("mediation:substitution"),
        reverse("admin:login"),
    ]
    violations, statuses = _visit(browser, live_server, paths)

    assert violations == []
    assert set(statuses.values()) == {200}


def test_applicant_pages_raise_no_csp_violation(live_server, browser):
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    day = timezone.localdate(slot.starts_at).isoformat()
    paths = [
        reverse("booking:procedures"),
        reverse("booking:sites", args=[slot.procedure.slug]),
        reverse("booking:days", args=[slot.procedure.slug, slot.site.slug]),
        reverse("booking:times", args=[slot.procedure.slug, slot.site.slug]) + f"?date={day}",
        reverse("booking:confirm", args=[slot.pk]),
        reverse("booking:my_appointments"),
        reverse("accounts:me"),
    ]
    violations, statuses = _visit(browser, live_server, paths, user=applicant.user)

    assert violations == []
    assert set(statuses.values()) == {200}


def test_admin_supervisor_pages_and_api_docs_raise_no_csp_violation(live_server, browser):
    admin = factories.UserFactory(role="supervisor", is_staff=True, is_superuser=True)
    docs = reverse("api:docs")
    paths = [
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("accounts:lockouts"),
        docs,
    ]
    violations, statuses = _visit(
        browser, live_server, paths, user=admin, wait_for={docs: ".swagger-ui .info"}
    )

    assert violations == []
    assert set(statuses.values()) == {200}
