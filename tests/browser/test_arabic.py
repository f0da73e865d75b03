"""An applicant reads Guichet in Arabic from the first page to the messages sent
to them: on a 360 px phone with JavaScript off, a mirrored page, a booking and a
cancellation, and the e-mails (their calendar files too) and SMS they are owed
written in Arabic."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, AppointmentStatus
from notifications.models import Message, MessageChannel
from tests import factories
from tests.helpers.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARABIC_LETTERS = re.compile(r"[\u0621-\u064A]")


def _click(page, url: str) -> None:
    """Follow the first link to ``url`` in the page's main content."""
    page.locator(f'main a[href="{url}"]').first.click()
    page.wait_for_load_state()


def _assert_arabic_and_mirrored(page) -> None:
    """``page`` is Arabic, right to left, and laid out from the right, as the
    reader's eye would see it (Playwright's evaluate runs with the page's own
    scripts off)."""
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    # The page's title starts at the right: the first line of the main heading
    # hugs the right margin and leaves more room on its left (a left-to-right
    # page hugs the left margin and leaves a ragged right end).
    left, right = page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector('main h1'));
            const line = range.getClientRects()[0];
            return [line.left, line.right];
        }"""
    )
    assert PHONE["width"] - right < left, (left, right)


def test_applicant_books_and_cancels_in_arabic_on_a_phone(live_server, browser):
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    procedure, site = slot.procedure, slot.site
    day = timezone.localdate(slot.starts_at).isoformat()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="fr-FR")
    page = context.new_page()

    # The first page, in French for a French browser: the header's switcher.
    page.goto(live_server.url + reverse("home"))
    assert page.locator("html").get_attribute("lang") == "fr"
    page.locator('header button[name="language"][value="ar"]').click()
    page.wait_for_load_state()
    assert page.locator("main").get_by_text("الحجز مجاني").first.is_visible()
    _assert_arabic_and_mirrored(page)

    # Log in, in Arabic.
    page.locator(f'header a[href="{reverse("accounts:login")}"]').click()
    page.wait_for_load_state()
    assert page.locator("main h1").inner_text().strip() == "تسجيل الدخول"
    page.fill("#id_username", applicant.user.email)
    page.fill("#id_password", factories.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("booking:my_appointments"))

    # The account's language (French, as it was created) wins at login; the
    # header's switcher, used while logged in, changes it on the account, which
    # every message follows.
    assert page.locator("html").get_attribute("lang") == "fr"
    page.locator('header button[name="language"][value="ar"]').click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ar"
    applicant.user.refresh_from_db()
    applicant.refresh_from_db()
    assert (applicant.user.language, applicant.preferred_language) == ("ar", "ar")

    # Procedure → place → day → time → confirm.
    page.goto(live_server.url + reverse("booking:my_appointments"))
    _click(page, reverse("booking:procedures"))
    _click(page, reverse("booking:sites", args=[procedure.slug]))
    _click(page, reverse("booking:days", args=[procedure.slug, site.slug]))
    page.locator(f'main a[href*="date={day}"]').first.click()
    page.wait_for_load_state()
    _click(page, reverse("booking:confirm", args=[slot.pk]))
    assert page.locator("main").get_by_text("تأكيد الموعد").first.is_visible()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    reference = page.locator("[data-testid=reference]").inner_text().strip()
    appointment = Appointment.objects.get(reference=reference)
    assert appointment.applicant_id == applicant.pk
    assert page.get_by_text("تم حجز موعدك.").is_visible()
    _assert_arabic_and_mirrored(page)

    # Cancel.
    _click(page, reverse("booking:appointment_cancel", args=[reference]))
    assert page.locator("main h1").inner_text().strip() == "هل تريد إلغاء الموعد؟"
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert page.get_by_text(f"تم إلغاء الموعد {reference}.").is_visible()
    _assert_arabic_and_mirrored(page)
    context.close()

    # Every message owed for the booking and the cancellation, in Arabic.
    messages = Message.objects.filter(appointment=appointment)
    owed = {(m.template_key, m.channel) for m in messages}
    assert owed == {
        (event, channel)
        for event in ("appointment_booked", "appointment_cancelled")
        for channel in (MessageChannel.EMAIL, MessageChannel.SMS)
    }
    for message in messages:
        assert message.language == "ar", message.template_key
        assert ARABIC_LETTERS.search(message.text), (message.template_key, message.text)
        assert reference in message.text
        if message.channel == MessageChannel.EMAIL:
            assert ARABIC_LETTERS.search(message.subject)
            assert '<html lang="ar" dir="rtl">' in message.html

    # The calendar files attached to the two e-mails (lines unfolded, RFC 5545).
    calendars = [
        attachment[1].replace("\r\n ", "")
        for email in mail.outbox
        for attachment in email.attachments
        if attachment[0] == f"{reference}.ics"
    ]
    assert len(calendars) == 2
    for calendar in calendars:
        assert "SUMMARY:موعد في المحافظة: " in calendar
        assert f"المرجع: {reference}" in calendar
