"""An agent closes a day in the back office, sees the preview, confirms, and
sees the people notified (each message of the cancellation listed)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, AppointmentStatus, Closure
from booking.services import appointment_book
from tests import factories
from tests.auth import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_closes_a_day_and_sees_the_people_notified(live_server, browser):
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    agent = factories.AgentFactory(sites=[site])
    day = timezone.localdate() + timedelta(days=5)
    start = datetime.combine(day, time(9), tzinfo=timezone.get_current_timezone())
    slots = [
        factories.SlotFactory(
            site=site, procedure=procedure, starts_at=start + timedelta(minutes=20 * n)
        )
        for n in range(2)
    ]
    people = [factories.ApplicantFactory() for _ in range(3)]
    for n, person in enumerate(people):
        appointment_book(actor=person.user, applicant=person, slot_id=slots[n % 2].pk)
    client = login(Client(), agent)
    context = browser.new_context(locale="fr-FR")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()

    page.goto(live_server.url + reverse("agent:closures"))
    page.locator(f'main a[href="{reverse("agent:closure_new")}"]').click()
    page.wait_for_load_state()
    page.select_option("#id_site", str(site.pk))
    page.fill("#id_date_from", day.strftime("%d/%m/%Y"))
    page.select_option("#id_kind", "strike")
    page.fill("#id_reason", "Mouvement social des agents d’accueil")  # noqa: RUF001
    page.locator('main button[name="preview"]').click()
    page.wait_for_load_state()

    preview = page.locator("#closure-preview").inner_text()
    assert "2" in preview and "3" in preview
    assert not Closure.objects.exists()

    page.locator('main button[name="confirm"]').click()
    page.wait_for_load_state()

    closure = Closure.objects.get()
    assert page.url.endswith(reverse("agent:closure", args=[closure.pk]))
    table = page.locator("#closure-people")
    assert table.locator("tbody tr").count() == 3
    text = table.inner_text()
    for appointment in Appointment.objects.filter(status=AppointmentStatus.CANCELLED):
        assert appointment.reference in text
    # Each person is owed an SMS and an e-mail, both listed with their status.
    assert table.locator(".guichet-message-status").count() == 6
    context.close()
