"""An appointment page prints as a one-page convocation (static/css/print.css): what to
bring, where and when, the reference and the warning that booking is free; none of the
screen's furniture (header, menu, language switcher, buttons, footer links)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.auth import login
from tests.helpers.booking_pages import book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pages_of(pdf: bytes) -> int:
    """The page objects of a PDF Chromium wrote (uncompressed dictionaries)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _appointment_page(
    browser,
    live_server,
    *,
    access_info: str = "",
    route: str = "booking:appointment_detail",
    language: str = "fr",
):
    applicant = factories.ApplicantFactory(preferred_language=language)
    slot = factories.SlotFactory(
        site__access_info=access_info,
        procedure__documents_to_bring="Passeport\nJustificatif de domicile\nTrois photos",
    )
    appointment = book(applicant, slot)
    client = login(Client(), applicant.user)
    context = browser.new_context(locale="fr-FR")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(live_server.url + reverse(route, args=[appointment.reference]))
    return page, appointment


def test_an_appointment_prints_on_one_page_with_what_matters(live_server, browser):
    access = "Métro ligne 5, arrêt Bobigny - Pablo Picasso.\nEntrée par la rue Carnot."
    page, appointment = _appointment_page(browser, live_server, access_info=access)

    pdf = page.pdf(format="A4", print_background=True)
    page.emulate_media(media="print")

    assert pdf.startswith(b"%PDF")
    assert _pages_of(pdf) == 1
    shown = page.locator("body").inner_text()
    site = appointment.slot.site
    for kept in [
        appointment.reference,
        appointment.procedure.name,
        site.name,
        site.address,
        "Trois photos",
        "Bobigny - Pablo Picasso",
        "gratuite",  # « La prise de rendez-vous est gratuite. »
    ]:
        assert kept in shown, kept
    for gone in [
        "header",
        ".fr-skiplinks",
        ".guichet-language",
        "main .fr-btn",
        "main a[download]",
        ".fr-footer__bottom",
        ".fr-footer__content-list",
    ]:
        for element in page.locator(gone).all():
            assert not element.is_visible(), gone
    # Black on white.
    colours = page.evaluate(
        "[getComputedStyle(document.body).backgroundColor,"
        " getComputedStyle(document.querySelector('main h1')).color,"
        " getComputedStyle(document.querySelector('[data-testid=reference]')).color]"
    )
    assert colours == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "rgb(0, 0, 0)"]
    page.context.close()


def test_a_convocation_in_french_and_arabic_prints_on_one_page(live_server, browser):
    access = "Métro ligne 5, arrêt Bobigny - Pablo Picasso.\nEntrée par la rue Carnot."
    page, appointment = _appointment_page(
        browser, live_server, access_info=access, route="booking:convocation", language="ar"
    )

    pdf = page.pdf(format="A4", print_background=True)
    page.emulate_media(media="print")

    assert _pages_of(pdf) == 1
    shown = page.locator("main").inner_text()
    for kept in [
        appointment.reference,
        appointment.procedure.name,
        appointment.slot.site.address,
        "Trois photos",
        "Bobigny - Pablo Picasso",
        "gratuite",  # « La prise de rendez-vous est gratuite. »
        "مجاني",  # « حجز الموعد مجاني. »
    ]:
        assert kept in shown, kept
    assert page.locator("main svg[role=img]").is_visible()
    # Side by side on paper: the Arabic part starts level with the French one.
    french, arabic = (page.locator(f"section[lang={code}]").bounding_box() for code in ("fr", "ar"))
    assert abs(french["y"] - arabic["y"]) < 1
    for gone in ["header", "main .fr-btn", ".fr-footer", ".guichet-convocation__hint"]:
        for element in page.locator(gone).all():
            assert not element.is_visible(), gone
    page.context.close()


def test_on_screen_the_print_rules_stay_out_of_the_way(live_server, browser):
    page, _appointment = _appointment_page(browser, live_server)

    assert page.locator("header").is_visible()
    assert page.locator("main a[download]").is_visible()
    page.context.close()
