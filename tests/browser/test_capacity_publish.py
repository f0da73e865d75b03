"""An agent publishes a week of capacity at the desk: the form, the preview
(nothing written yet), publish, the calendar showing the week; axe-core on the
preview (a state the accessibility harness cannot reach with a GET)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Publication, Slot
from tests import factories
from tests.auth import login
from tests.helpers.axe import axe_check, axe_inject

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def test_an_agent_publishes_a_week_after_its_preview(live_server, browser):
    site = factories.SiteFactory(name="Préfecture de Bobigny")
    procedure = factories.ProcedureFactory(name="Titre de séjour")
    agent = factories.AgentFactory(sites=[site])
    session = login(Client(), agent).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "url": live_server.url},
        ]
    )
    page = context.new_page()
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())

    page.goto(live_server.url + reverse("agent:publish"))
    page.fill("#id_date_from", monday.isoformat())
    page.fill("#id_date_to", (monday + timedelta(days=6)).isoformat())
    for weekday in range(5):
        page.check(f"#id_weekdays_{weekday}")
    page.fill("#id_range_1_start", "09:00")
    page.fill("#id_range_1_end", "12:00")
    page.fill("#id_range_2_start", "14:00")
    page.fill("#id_range_2_end", "16:00")
    page.fill("#id_slot_minutes", "30")
    page.fill("#id_counters", "4")
    page.fill("#id_mediation_counters", "1")
    page.fill("#id_priority_counters", "1")
    page.locator('main button[value="preview"]').click()
    page.wait_for_load_state()

    # The preview: 5 days x 10 times, three pools (2 + 1 + 1 seats); nothing written.
    assert not Slot.objects.exists() and not Publication.objects.exists()
    table = page.locator("main table").first
    assert table.locator("tbody tr").count() == 5
    assert "150" in table.locator("tfoot").inner_text()  # slots
    assert "200" in table.locator("tfoot").inner_text()  # seats
    axe_inject(page)
    failing = [violation for violation in axe_check(page) if violation.fails]
    assert not failing, failing

    page.locator('main button[value="publish"]').click()
    page.wait_for_load_state()

    assert Slot.objects.filter(site=site, procedure=procedure).count() == 150
    assert page.url.startswith(live_server.url + reverse("agent:calendar"))
    assert "150" in page.locator("main").inner_text()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 7
    assert "Titre de séjour" in page.locator("main h2").first.inner_text()
    context.close()
