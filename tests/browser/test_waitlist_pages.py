"""An applicant joins a waiting list from the booking path in a real Chromium,
an offer is made to them, they accept it on the page and see their appointment;
a walk-in answers by the offer's link without an account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from allocation.links import offer_token
from allocation.models import EntryStatus, WaitlistEntry
from allocation.rules import order_rule_text
from allocation.services import offers_allocate, waitlist_join
from booking.models import AllocationMode, AllocationPolicy, Appointment, Pool
from tests import factories
from tests.helpers.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _queue_slot(site, procedure):
    starts_at = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return factories.SlotFactory(
        site=site,
        procedure=procedure,
        pool=Pool.QUEUE,
        capacity=1,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
    )


def _log_in(page, live_server, user) -> None:
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("#id_username", user.email)
    page.fill("#id_password", factories.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_applicant_joins_gets_an_offer_accepts_and_sees_the_appointment(live_server, browser):
    applicant = factories.ApplicantFactory()
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    _log_in(page, live_server, applicant.user)

    # The booking path's sites step leads to the list, not to a calendar.
    page.goto(live_server.url + reverse("booking:sites", args=[procedure.slug]))
    page.locator(f'main a[href="{reverse("allocation:join", args=[procedure.slug])}"]').click()
    page.wait_for_load_state()
    with translation.override("fr"):
        rule = order_rule_text()
    assert rule[:60] in page.locator("#order-rule").inner_text()
    page.get_by_label(site.name, exact=False).check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    assert page.url.endswith(reverse("allocation:mine"))
    entry = WaitlistEntry.objects.get(applicant=applicant)
    assert "1" in page.locator(f"#entry-{entry.pk}").inner_text()

    # Seats come; the list offers one to them.
    slot = _queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    page.reload()
    offered = page.locator(f"#offer-{offer.pk}")
    assert procedure.name in offered.inner_text()
    offered.locator("button[value=accept]").click()
    page.wait_for_load_state()

    appointment = Appointment.objects.get(applicant=applicant)
    assert appointment.slot_id == slot.pk
    assert page.url.endswith(reverse("booking:appointment_detail", args=[appointment.reference]))
    assert page.locator("[data-testid=reference]").inner_text().strip() == appointment.reference
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SERVED


def test_a_walk_in_accepts_by_the_offers_link(live_server, browser):
    walk_in = factories.ApplicantFactory(user=None)
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    supervisor = factories.UserFactory(role="supervisor")
    waitlist_join(actor=supervisor, applicant=walk_in, procedure=procedure, site_ids=[site.pk])
    _queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    page = browser.new_context(viewport=PHONE).new_page()

    page.goto(live_server.url + reverse("allocation:offer_link", args=[offer_token(offer)]))
    assert site.address in page.locator("main").inner_text()
    page.locator("main button[value=accept]").click()
    page.wait_for_load_state()

    appointment = Appointment.objects.get(applicant=walk_in)
    assert appointment.reference in page.locator("#offer-state").inner_text()
