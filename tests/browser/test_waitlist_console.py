"""A mediator puts a walk-in on a procedure's waiting list from the console, with
the person's consent for the waiting list, in a real browser."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from allocation.models import EntryStatus, WaitlistEntry
from booking.models import AllocationMode, AllocationPolicy
from tests import factories
from tests.auth import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser, live_server, user):
    client = login(Client(), user)
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
    return context, context.new_page()


def test_a_mediator_puts_a_walk_in_on_the_list_with_consent(live_server, browser):
    site = factories.SiteFactory(name="Préfecture de Bobigny")
    factories.SiteFactory(name="Sous-préfecture du Raincy")  # not given out by the list
    procedure = factories.ProcedureFactory(name="Premier titre de séjour")
    AllocationPolicy.objects.create(procedure=procedure, site=site, mode=AllocationMode.QUEUE)
    point = factories.AccessPointFactory()
    mediator = factories.MediatorFactory(access_point=point)
    walk_in = factories.ApplicantFactory(user=None, access_point=point)
    join_url = reverse("mediation:waitlist_join", args=[walk_in.pk])
    person_url = reverse("mediation:person", args=[walk_in.pk])
    context, page = _page(browser, live_server, mediator)

    # 1. Without a consent for the waiting list, the person's page offers no joining.
    page.goto(live_server.url + person_url)
    assert page.locator(f'main a[href="{join_url}"]').count() == 0

    # 2. The person consents (recorded at the point); the page now offers it.
    factories.ConsentFactory(applicant=walk_in, mediator=mediator, purposes=["waiting_list"])
    page.goto(live_server.url + person_url)
    page.locator(f'main a[href="{join_url}"]').click()
    page.wait_for_load_state()

    # 3. The procedure, the site they can reach, a day they cannot come.
    sites = page.locator('main input[name="sites"]')
    assert sites.count() == 1  # only the site whose capacity the list gives out
    page.select_option("#id_procedure", str(procedure.pk))
    page.locator(f'main label[for="{sites.first.get_attribute("id")}"]').click()
    page.locator('main label[for="id_weekdays_excluded_5"]').click()  # Saturday
    page.locator('main form:has([name="sites"]) [type=submit]').click()
    page.wait_for_load_state()

    entry = WaitlistEntry.objects.get(applicant=walk_in)
    assert entry.status == EntryStatus.WAITING
    assert entry.site_ids == [site.pk]
    assert entry.weekdays_excluded == [6]
    assert entry.access_point_id == point.pk
    assert page.url.endswith(person_url)
    # The person's page lists the entry (the person has no appointment: the site's
    # name is only in the waiting list's table).
    shown = page.locator("main").inner_text()
    assert procedure.name in shown and site.name in shown
    context.close()
