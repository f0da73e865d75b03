"""An agent records a court order for a person on file, books the convocation
on priority capacity before the deadline, and sees the order convoked in time."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.injunctions import injunction_state
from booking.models import AppointmentStatus, Injunction, InjunctionState, Pool
from tests import factories
from tests.auth import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_records_an_order_and_convokes_the_person_in_time(live_server, browser):
    site = factories.SiteFactory(name="Préfecture de Bobigny")
    procedure = factories.ProcedureFactory(name="Titre de séjour")
    agent = factories.AgentFactory(sites=[site])
    person = factories.ApplicantFactory()
    today = timezone.localdate()
    deadline = today + timedelta(days=10)
    when = datetime.combine(
        today + timedelta(days=3), time(10), tzinfo=timezone.get_current_timezone()
    )
    priority = factories.SlotFactory(
        site=site, procedure=procedure, pool=Pool.PRIORITY, starts_at=when, capacity=1
    )
    # A public time after the deadline: not offered (the order would be served late).
    factories.SlotFactory(
        site=site, procedure=procedure, starts_at=when + timedelta(days=10), capacity=1
    )
    client = login(Client(), agent)
    context = browser.new_context(locale="fr-FR")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "url": live_server.url},
        ]
    )
    page = context.new_page()

    # 1. The person, found by their document and date of birth.
    page.goto(live_server.url + reverse("agent:injunctions"))
    page.locator(f'main a[href="{reverse("agent:injunction_new")}"]').first.click()
    page.wait_for_load_state()
    page.fill("#id_document-document_number", person.document_number)
    page.fill("#id_document-birth_date", person.birth_date.isoformat())
    page.locator('main form:has([name="document-document_number"]) [type=submit]').click()
    page.wait_for_load_state()
    assert person.surname.upper() in page.locator("main").inner_text()

    # 2. The order, as the court wrote it.
    page.fill("#id_court", "Tribunal administratif de Montreuil")
    page.fill("#id_case_number", "2612345")
    page.fill("#id_ordered_on", (today - timedelta(days=1)).isoformat())
    page.fill("#id_deadline", deadline.isoformat())
    page.select_option("#id_procedure", str(procedure.pk))
    page.select_option("#id_site", str(site.pk))
    page.locator('main form:has([name="court"]) [type=submit]').click()
    page.wait_for_load_state()

    order = Injunction.objects.get()
    assert order.applicant_id == person.pk and order.deadline == deadline
    assert page.url.endswith(reverse("agent:injunction", args=[order.pk]))
    assert "Convoqué dans le délai" not in page.locator("main").inner_text()

    # 3. The convocation, on the priority time before the deadline (the only one offered).
    radios = page.locator('main input[type=radio][name="slot"]')
    assert radios.count() == 1
    page.locator(f'main label[for="id_slot_{priority.pk}"]').click()  # the DSFR radio
    page.locator('main form:has([name="slot"]) [type=submit]').click()
    page.wait_for_load_state()

    order.refresh_from_db()
    assert order.appointment is not None
    assert order.appointment.slot_id == priority.pk
    assert order.appointment.status == AppointmentStatus.BOOKED
    assert injunction_state(order) == InjunctionState.IN_TIME
    assert page.url.endswith(reverse("agent:injunction", args=[order.pk]))
    badge = page.locator("main .fr-badge").first.inner_text()
    assert badge.strip().lower() == "convoqué dans le délai"
    assert order.appointment.reference in page.locator("main").inner_text()
    context.close()
