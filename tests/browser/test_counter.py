"""An agent checks someone in at the counter, as a QR scanner does: the day's list,
a wrong document refused, the right one typed then Enter, done."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from booking.models import AppointmentStatus
from tests import factories
from tests.auth import login
from tests.helpers.counter import appointment_at, status_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fr(message: str, **params) -> str:
    with translation.override("fr"):
        text = gettext(message)
    return text % params if params else text


def test_an_agent_checks_someone_in_with_a_scanner(live_server, browser):
    site = factories.SiteFactory()
    agent = factories.AgentFactory(sites=[site])
    this_hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    appointment = appointment_at(this_hour, site=site)
    session = login(Client(), agent).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context()
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "url": live_server.url},
        ]
    )
    page = context.new_page()

    # The day's list: the person, and a link to check them in.
    page.goto(live_server.url + reverse("agent:day"))
    row = page.locator("main tr", has_text=appointment.reference)
    assert row.count() == 1
    row.locator(f'a[href*="reference={appointment.reference}"]').click()
    page.wait_for_load_state()
    # The reference is filled in: the document number is next.
    assert page.input_value("#id_reference") == appointment.reference
    assert page.evaluate("document.activeElement.name") == "document_number"

    # A scanner types the reference and Enter into the focused field.
    page.goto(live_server.url + reverse("agent:checkin"))
    assert page.evaluate("document.activeElement.name") == "reference"
    page.fill("#id_document_number", "XX000000")
    page.focus("#id_reference")
    page.keyboard.type(appointment.reference)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert (
        _fr(
            "The document number does not match the identity of the appointment. "
            "The check-in is refused and recorded."
        )
        in page.locator("#error-summary").inner_text()
    )
    assert status_of(appointment) == AppointmentStatus.BOOKED

    page.fill("#id_reference", appointment.reference.lower())
    page.fill("#id_document_number", appointment.document_number)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.url.endswith(reverse("agent:checkin"))
    assert appointment.reference in page.locator("#messages").inner_text()
    assert status_of(appointment) == AppointmentStatus.CHECKED_IN

    # Back on the list: checked in, then done.
    page.goto(live_server.url + reverse("agent:day"))
    row = page.locator("main tr", has_text=appointment.reference)
    assert _fr("Checked in") in row.inner_text()
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert status_of(appointment) == AppointmentStatus.DONE
    context.close()
