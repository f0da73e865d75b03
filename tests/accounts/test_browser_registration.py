"""An applicant registers and confirms on a 360 px phone with JavaScript off."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.permissions import is_verified
from tests import factories
from tests.helpers.browser import PHONE
from tests.helpers.inbox import confirm_path, sms_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_applicant_registers_and_confirms_without_javascript_on_a_phone(live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="en-GB")
    page = context.new_page()

    page.goto(live_server.url + reverse("accounts:login"))
    page.locator(f'main a[href="{reverse("accounts:register")}"]').click()
    page.wait_for_load_state()
    assert "months after your last appointment" in page.content()
    page.fill("#id_email", "awa@example.test")
    page.fill("#id_password", "un-long-mot-de-passe-93")
    page.fill("#id_phone", "06 12 34 56 78")
    page.locator('label[for="id_consent"]').click()  # DSFR draws the box on the label
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("accounts:verify"))

    page.goto(live_server.url + confirm_path("awa@example.test"))
    page.fill("#id_code", sms_code("+33612345678"))
    page.locator(f'main form[action="{reverse("accounts:phone_confirm")}"] button').click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("accounts:me"))
    assert is_verified(User.objects.get(email="awa@example.test"))

    # The account pages fit a 360 px screen without sideways scrolling.
    factories.ApplicantFactory(user=User.objects.get(email="awa@example.test"))
    measuring = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    probe = measuring.new_page()
    for name in ("me", "verify", "email_change", "phone_change", "delete", "password_reset"):
        url = live_server.url + reverse(f"accounts:{name}")
        probe.goto(url)
        width = probe.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{url} is {width} px wide"
    for url in (reverse("accounts:register"), reverse("booking:identity")):
        probe.goto(live_server.url + url)
        assert probe.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
    context.close()
    measuring.close()
