"""An applicant books on a 360 px phone with JavaScript off, step by step."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment
from tests import factories
from tests.helpers.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(tempfile.gettempdir()) / "guichet-confirmation-360.png"


def _click(page, url: str) -> None:
    """Follow the first link to ``url`` in the page's main content."""
    page.locator(f'main a[href="{url}"]').first.click()
    page.wait_for_load_state()


def test_applicant_books_every_step_without_javascript_on_a_phone(live_server, browser):
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    procedure, site = slot.procedure, slot.site
    day = timezone.localdate(slot.starts_at).isoformat()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    visited: list[str] = []

    # Home → log in.
    page.goto(live_server.url + reverse("home"))
    visited.append(page.url)
    page.locator(f'header a[href="{reverse("accounts:login")}"]').click()
    page.fill("#id_username", applicant.user.email)
    page.fill("#id_password", factories.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("booking:my_appointments"))
    visited.append(page.url)

    # Procedure → site → day → time → confirm.
    _click(page, reverse("booking:procedures"))
    visited.append(page.url)
    _click(page, reverse("booking:sites", args=[procedure.slug]))
    visited.append(page.url)
    _click(page, reverse("booking:days", args=[procedure.slug, site.slug]))
    visited.append(page.url)
    page.locator(f'main a[href*="date={day}"]').first.click()
    page.wait_for_load_state()
    visited.append(page.url)
    _click(page, reverse("booking:confirm", args=[slot.pk]))
    visited.append(page.url)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    reference = page.locator("[data-testid=reference]").inner_text().strip()
    appointment = Appointment.objects.get(reference=reference)
    assert appointment.applicant_id == applicant.pk
    assert appointment.slot_id == slot.pk
    assert page.url.endswith(reverse("booking:appointment_detail", args=[reference]))
    visited.append(page.url)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The same pages, with JavaScript on, fit a 360 px screen without sideways scrolling.
    measuring = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    probe = measuring.new_page()
    for url in [
        *visited,
        live_server.url + reverse("booking:confirm", args=[999_999]),  # the 404 page
        live_server.url + reverse("mediation:points"),
        live_server.url + reverse("mediation:substitution"),
        live_server.url + reverse("booking:identity"),
    ]:
        probe.goto(url)
        width = probe.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{url} is {width} px wide"
    context.close()
    measuring.close()


def test_language_switch_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    page.goto(live_server.url + reverse("mediation:points"))
    assert page.locator("html").get_attribute("lang") == "fr"

    page.locator('header button[name="language"][value="en"]').click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith(reverse("mediation:points"))
    context.close()
