"""The proof-of-work in a real Chromium, under the Content-Security-Policy: with
JavaScript the widget solves its challenge by itself and the form goes through;
without, the page asks for a short wait, a form sent too early is refused with
the seconds left and the same form sent after the wait goes through. axe finds
nothing serious on the three pages the widget joins."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from substitution.models import SubstitutionRequest
from tests import factories
from tests.auth import login
from tests.helpers.axe import Report, axe_check, axe_inject
from tests.helpers.browser import PHONE
from tests.substitution.conftest import form_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ON = {"ANTIBOT_ENABLED": True, "ANTIBOT_MAX_NUMBER": 50_000}


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _context(browser, live_server, *, javascript: bool = True, user=None):
    context = browser.new_context(
        java_script_enabled=javascript, viewport=None if javascript else PHONE, locale="en-GB"
    )
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en"}]
    if user is not None:
        client = login(Client(), user)
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }
        )
    context.add_cookies([{**cookie, "url": live_server.url} for cookie in cookies])
    return context


def _csp_watch(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def _fill_registration(page, email: str) -> None:
    page.fill("#id_email", email)
    page.fill("#id_password", "un-long-mot-de-passe-93")
    page.fill("#id_phone", "06 12 34 56 78")
    page.locator('label[for="id_consent"]').click()


# Each field of the form set by name (a radio: the one of that value).
_FILL = """data => {
  const form = document.querySelector('main form[method=post]');
  for (const [name, value] of Object.entries(data)) {
    for (const field of form.querySelectorAll(`[name="${name}"]`)) {
      const ticked = field.type === 'radio' || field.type === 'checkbox';
      if (ticked) field.checked = field.value === String(value);
      else field.value = String(value);
    }
  }
}"""


def _solved(page) -> str:
    """Wait until the widget put its solution in its hidden field; return it."""
    page.wait_for_function(
        "() => { const f = document.querySelector('input[name=altcha]'); return f && f.value }",
        timeout=30_000,
    )
    return page.locator("input[name=altcha]").input_value()


@override_settings(**ON)
def test_widget_solves_by_itself_and_the_registration_goes_through(live_server, browser):
    context = _context(browser, live_server)
    page = context.new_page()
    violations = _csp_watch(page)
    page.goto(live_server.url + reverse("accounts:register"))
    _fill_registration(page, "widget@example.test")
    assert _solved(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    assert page.url.endswith(reverse("accounts:verify"))
    assert User.objects.filter(email="widget@example.test").exists()
    assert violations == []
    context.close()


@override_settings(**ON, ANTIBOT_NOSCRIPT_WAIT_SECONDS=3)
def test_without_javascript_a_short_wait_then_the_registration_goes_through(live_server, browser):
    context = _context(browser, live_server, javascript=False)
    page = context.new_page()
    opened = time.monotonic()
    page.goto(live_server.url + reverse("accounts:register"))
    assert "please wait 3 seconds after the page opened" in page.inner_text("main")

    _fill_registration(page, "nojs@example.test")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if time.monotonic() - opened < 3:  # sent too early: refused, the seconds left said
        assert "more second" in page.inner_text("main")
        assert not User.objects.filter(email="nojs@example.test").exists()
        time.sleep(3)
        page.fill("#id_password", "un-long-mot-de-passe-93")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

    assert page.url.endswith(reverse("accounts:verify"))
    assert User.objects.filter(email="nojs@example.test").exists()
    context.close()


@override_settings(**ON)
def test_widget_solves_and_the_substitution_request_is_filed(live_server, browser):
    slot = factories.SlotFactory()
    context = _context(browser, live_server)
    page = context.new_page()
    violations = _csp_watch(page)
    page.goto(live_server.url + reverse("substitution:request"))
    assert _solved(page)
    page.evaluate(_FILL, form_data(slot.procedure, phone=""))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    assert page.url.endswith(reverse("substitution:received")), page.inner_text("main")
    assert SubstitutionRequest.objects.count() == 1
    assert violations == []
    context.close()


@override_settings(**ON)
def test_widget_solves_and_the_booking_is_confirmed(live_server, browser):
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    context = _context(browser, live_server, user=applicant.user)
    page = context.new_page()
    violations = _csp_watch(page)
    page.goto(live_server.url + reverse("booking:confirm", args=[slot.pk]))
    assert _solved(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    assert "/appointments/" in page.url, page.inner_text("main")
    assert applicant.appointments.count() == 1
    assert violations == []
    context.close()


@override_settings(**ON, ANTIBOT_NOSCRIPT_WAIT_SECONDS=30)
def test_booking_sent_too_early_without_javascript_is_refused_and_nothing_booked(
    live_server, browser
):
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    context = _context(browser, live_server, javascript=False, user=applicant.user)
    page = context.new_page()
    page.goto(live_server.url + reverse("booking:confirm", args=[slot.pk]))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    assert "more seconds, then send the form again" in page.inner_text("body")
    assert applicant.appointments.count() == 0
    context.close()


@override_settings(**ON)
def test_pages_with_the_widget_raise_no_serious_axe_violation(live_server, browser):
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory(starts_at=timezone.now() + timezone.timedelta(days=3))
    report = Report()
    failing: list[str] = []
    for user, path in (
        (None, reverse("accounts:register")),
        (None, reverse("substitution:request")),
        (applicant.user, reverse("booking:confirm", args=[slot.pk])),
    ):
        for javascript in (True, False):
            context = _context(browser, live_server, javascript=javascript, user=user)
            page = context.new_page()
            page.goto(live_server.url + path)
            if javascript:
                _solved(page)
            else:
                page.wait_for_load_state()
                assert page.locator("input[name=antibot_wait]").count() == 1
            # axe runs through the DevTools protocol even with the page's scripts off.
            if javascript:
                axe_inject(page)
                failing += report.add(path, axe_check(page))
            context.close()
    assert failing == []
