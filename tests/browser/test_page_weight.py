"""The page-weight budget of issue 16, measured in Chromium against static files
served the way production serves them (collectstatic, fingerprinted names,
WhiteNoise with gzip): the first visit to the home page and the whole booking path
transfers at most 400 KB, a later page at most 60 KB once the browser has the static
files in its cache, and no request leaves the site.

People book on a cheap phone with a weak, metered connection: every kilobyte is
paid for, in time and in money."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.helpers.page_weight import Transfers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_VISIT_BUDGET = 400 * 1024
LATER_PAGE_BUDGET = 60 * 1024


def _follow(page, href: str) -> None:
    page.locator(f'main a[href="{href}"]').first.click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_first_visit_and_booking_path_fit_the_budget_and_stay_on_the_site(
    production_server, browser, arabic, language
):
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    procedure, site = slot.procedure, slot.site
    day = timezone.localdate(slot.starts_at).isoformat()
    context = browser.new_context()
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": production_server}]
    )
    page = context.new_page()
    transfers = Transfers(context, page)

    with transfers.step("home"):
        page.goto(production_server + reverse("home"))
        page.wait_for_load_state("networkidle")
    with transfers.step("login"):
        page.locator(f'header a[href="{reverse("accounts:login")}"]').click()
        page.wait_for_load_state("networkidle")
    with transfers.step("my appointments"):
        page.fill("#id_username", applicant.user.email)
        page.fill("#id_password", factories.DEFAULT_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    with transfers.step("procedures"):
        _follow(page, reverse("booking:procedures"))
    with transfers.step("sites"):
        _follow(page, reverse("booking:sites", args=[procedure.slug]))
    with transfers.step("week"):
        _follow(page, reverse("booking:days", args=[procedure.slug, site.slug]))
    with transfers.step("times"):
        page.locator(f'main a[href*="date={day}"]').first.click()
        page.wait_for_load_state("networkidle")
    with transfers.step("confirm"):
        _follow(page, reverse("booking:confirm", args=[slot.pk]))
    with transfers.step("appointment"):
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=reference]").count() == 1
    first_visit = transfers.total()

    with transfers.step("later: home"):
        page.goto(production_server + reverse("home"))
        page.wait_for_load_state("networkidle")
    with transfers.step("later: my appointments"):
        page.goto(production_server + reverse("booking:my_appointments"))
        page.wait_for_load_state("networkidle")
    with transfers.step("later: help"):
        page.goto(production_server + reverse("mediation:points"))
        page.wait_for_load_state("networkidle")
    context.close()

    print(f"\n{language}:\n{transfers.report()}")  # the figures, for `pytest -s`
    assert first_visit <= FIRST_VISIT_BUDGET, transfers.report()
    for name, size in transfers.steps.items():
        if name.startswith("later"):
            assert size <= LATER_PAGE_BUDGET, transfers.report()
    site_host = urlsplit(production_server).netloc
    elsewhere = [url for url in transfers.urls if urlsplit(url).netloc != site_host]
    assert not elsewhere, elsewhere
    assert transfers.urls, "nothing was measured"


def test_static_files_are_applied_compressed_and_cached_for_a_year(production_server, browser):
    context = browser.new_context()
    page = context.new_page()
    static = []
    page.on(
        "response",
        lambda response: static.append(response) if "/static/" in response.url else None,
    )
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(production_server + reverse("home"))
    page.wait_for_load_state("networkidle")
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    context.close()

    # The browser applied the stylesheets (an integrity attribute computed on the files
    # before collectstatic rewrote them made it refuse DSFR's).
    assert not errors, errors
    assert font.startswith("Marianne"), font
    assert static, "the home page loads no static file"
    for response in static:
        headers = response.headers
        cache_control = headers.get("cache-control", "")
        max_age = int(cache_control.split("max-age=")[1].split(",")[0])
        assert max_age >= 365 * 24 * 3600, (response.url, cache_control)
        assert "immutable" in cache_control, (response.url, cache_control)
        if response.url.endswith((".css", ".js", ".svg")):
            assert headers.get("content-encoding") in {"gzip", "br"}, response.url
