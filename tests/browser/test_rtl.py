"""Arabic pages mirror, in Chromium: DSFR has no right-to-left support, and
static/css/guichet.css supplies it for the components these pages use. Each check
runs in French too, where everything must stay where DSFR puts it.

Geometry comes from bounding boxes; what DSFR draws with background gradients (the
step indicator, the alert's coloured bar) from the screenshot's pixels."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.auth import login
from tests.helpers.png import decode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
BLUE_FRANCE = (0, 0, 145)


@pytest.fixture
def booking_world():
    applicant = factories.ApplicantFactory()
    slot = factories.SlotFactory()
    client = login(Client(), applicant.user)
    return slot, client.cookies[settings.SESSION_COOKIE_NAME].value


def _page(browser, live_server, session: str, language: str, viewport: dict):
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    return context, context.new_page()


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


def _is_blue(pixel) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, BLUE_FRANCE, strict=True))


def _is_light(pixel) -> bool:
    return min(pixel) > 200


def _icon_side(page, selector: str) -> str:
    """Which side of a link or button its icon is on: the space the text leaves."""
    return page.evaluate(
        """selector => {
            const element = document.querySelector(selector);
            const range = document.createRange();
            range.selectNodeContents(element);
            const text = range.getBoundingClientRect(), box = element.getBoundingClientRect();
            return (text.left - box.left) > (box.right - text.right) ? "left" : "right";
        }""",
        selector,
    )


def _transform(page, selector: str, pseudo: str) -> str:
    return page.evaluate(
        "([s, p]) => getComputedStyle(document.querySelector(s), p).transform",
        [selector, pseudo],
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_booking_page_mirrors_in_arabic_and_not_in_french(
    live_server, browser, arabic, booking_world, language, viewport
):
    slot, session = booking_world
    rtl = language == "ar"
    context, page = _page(browser, live_server, session, language, viewport)
    page.goto(live_server.url + reverse("booking:days", args=[slot.procedure.slug, slot.site.slug]))

    assert page.locator("html").get_attribute("dir") == ("rtl" if rtl else "ltr")

    # The main menu reads from the right: its first item at the right end of the menu,
    # right of the second when they share a row.
    menu = _box(page, "#navigation")
    first = _box(page, "#navigation li:nth-child(1)")
    second = _box(page, "#navigation li:nth-child(2)")
    if rtl:
        assert abs(first["x"] + first["width"] - (menu["x"] + menu["width"])) < 2
    else:
        assert abs(first["x"] - menu["x"]) < 2
    if abs(first["y"] - second["y"]) < 2:
        assert (first["x"] > second["x"]) is rtl

    # The step indicator (step 3 of 5) fills from the right.
    steps = decode(page.locator(".fr-stepper__steps").screenshot())
    middle = steps.height // 2
    right_end, left_end = steps.pixel(steps.width - 2, middle), steps.pixel(1, middle)
    assert _is_blue(right_end) is rtl, right_end
    assert _is_blue(left_end) is not rtl, left_end

    # "Another place" goes back: its arrow before the text (on the right in Arabic),
    # pointing the other way; "next week" has its arrow after the text.
    back = "main a.fr-icon-arrow-left-line"
    assert _icon_side(page, back) == ("right" if rtl else "left")
    assert (_transform(page, back, "::before") == "matrix(-1, 0, 0, 1, 0, 0)") is rtl
    following = "main a.fr-icon-arrow-right-line"
    assert _icon_side(page, following) == ("left" if rtl else "right")
    assert (_transform(page, following, "::after") == "matrix(-1, 0, 0, 1, 0, 0)") is rtl

    # The coloured bar of an alert, with its icon, on the right.
    page.goto(live_server.url + reverse("home"))
    alert = decode(page.locator("main .fr-alert").first.screenshot())
    middle = alert.height // 2
    inner_right, inner_left = alert.pixel(alert.width - 6, middle), alert.pixel(5, middle)
    assert _is_light(inner_right) is not rtl, inner_right
    assert _is_light(inner_left) is rtl, inner_left
    context.close()


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_header_and_footer_mirror_on_a_desktop(
    live_server, browser, arabic, booking_world, language
):
    _slot, session = booking_world
    rtl = language == "ar"
    context, page = _page(browser, live_server, session, language, DESKTOP)
    page.goto(live_server.url + reverse("home"))

    # The brand: the State's logo, then the service's name, from the right.
    logo, service = _box(page, ".fr-header__logo"), _box(page, ".fr-header__service")
    assert (logo["x"] > service["x"]) is rtl
    # The language switcher at the end of the menu's row.
    menu, languages = _box(page, "#navigation"), _box(page, ".guichet-language")
    assert (languages["x"] < menu["x"]) is rtl
    # Footer: the logo on the right, the text on the left.
    brand, content = _box(page, ".fr-footer__brand"), _box(page, ".fr-footer__content")
    assert (brand["x"] > content["x"]) is rtl
    # The logo block itself is French and keeps its own direction.
    assert page.evaluate("getComputedStyle(document.querySelector('.fr-logo')).direction") == "ltr"
    context.close()


def test_arabic_text_is_set_in_the_systems_arabic_fonts(
    live_server, browser, arabic, booking_world
):
    _slot, session = booking_world
    context, page = _page(browser, live_server, session, "ar", DESKTOP)
    page.goto(live_server.url + reverse("home"))
    page.wait_for_load_state("networkidle")

    body = page.evaluate("getComputedStyle(document.body).fontFamily")
    logo = page.evaluate("getComputedStyle(document.querySelector('.fr-logo')).fontFamily")
    context.close()

    # Marianne has no Arabic glyphs; the logo block keeps it.
    assert not body.startswith("Marianne"), body
    assert "Arabic" in body, body
    assert logo.startswith("Marianne"), logo


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_phone_numbers_keep_their_plus_in_front(
    live_server, browser, arabic, booking_world, language
):
    _slot, session = booking_world
    context, page = _page(browser, live_server, session, language, PHONE)
    page.goto(live_server.url + reverse("accounts:me"))
    # Where the "+" is drawn, against the whole number, in the account's page.
    offset = page.evaluate(
        """() => {
            const main = document.querySelector("main");
            const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode, start = node.data.indexOf("+33");
                if (start < 0) continue;
                const end = node.data.slice(start).search(/[^+0-9]|$/) + start;
                const plus = document.createRange(), number = document.createRange();
                plus.setStart(node, start); plus.setEnd(node, start + 1);
                number.setStart(node, start); number.setEnd(node, end);
                return plus.getBoundingClientRect().left - number.getBoundingClientRect().left;
            }
            return null;
        }"""
    )
    page.goto(live_server.url + reverse("accounts:phone_change"))
    typed = page.locator("main input[inputmode=tel]")
    direction = typed.evaluate("element => getComputedStyle(element).direction")
    context.close()

    # The "+" is the number's leftmost character, as on a French page; typing one too.
    assert offset is not None, "no phone number on the account's page"
    assert offset < 2, offset
    assert direction == "ltr"
