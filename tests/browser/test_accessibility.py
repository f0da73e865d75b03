"""axe-core on every page of the project, in a real Chromium: in French and in every
right-to-left language, at 360 px and at 1280 px, in the states that matter.

The visits are ``tests/helpers/accessibility/``'s (``PAGES``, ``ERROR_PAGES``);
``test_accessibility_routes.py`` fails when a URL pattern renders HTML without
any. Each visit logs its persona in by copying the test client's session cookie
(OTP-verified for staff) into the browser, loads the page, submits its form with
wrong values, or with the values that reach a page only a POST answers, when
the visit says so, injects axe once and runs it at both widths.
A violation of impact serious or critical under WCAG 2.1 A/AA fails; the rest
is written to ``axe-<language>-<group>.json`` in pytest's temporary folder and
summarised on standard output.

In a language other than French, every text holding what the prefecture wrote
in French (names of procedures, places and access points, addresses) must be
marked as French, and left to right in Arabic (``tests/helpers/data_language.py``).

The same visit then happens again at 360 px with JavaScript off: the page must
render, with its status, and not scroll sideways (``scrollWidth`` measured
through the DevTools protocol, which runs even when the page's scripts cannot).

One Chromium per module (per xdist worker), one context per persona and per
JavaScript setting, reused from page to page.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.urls import reverse

from tests.helpers.accessibility import PAGES, Group, Visit, checked_languages, groups, sessions
from tests.helpers.axe import Report, axe_check, axe_inject
from tests.helpers.browser import PHONE, chromium_launched
from tests.helpers.data_language import french_values, unmarked_french
from tests.helpers.matrix import url_patterns
from tests.personas import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
ERROR_MARKS = "main .fr-alert--error, main .fr-message--error, main .fr-error-text"


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the module (the tests of other modules never run meanwhile)."""
    with chromium_launched() as browser:
        yield browser


class Visitor:
    """Browser contexts per (persona, JavaScript on or off), logged in, in one language."""

    def __init__(self, browser, live_server, language: str, session_keys: dict[str, str]):
        self.browser, self.live_server, self.language = browser, live_server, language
        self.session_keys = session_keys
        self.pages: dict[tuple[str, bool], object] = {}

    def page(self, persona: str, javascript: bool = True):
        if (persona, javascript) not in self.pages:
            context = self.browser.new_context(
                java_script_enabled=javascript, viewport=DESKTOP if javascript else PHONE
            )
            cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": self.language}]
            if persona != "anonymous":
                key = self.session_keys[persona]
                cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": key})
            context.add_cookies([{**cookie, "url": self.live_server.url} for cookie in cookies])
            self.pages[persona, javascript] = context.new_page()
        return self.pages[persona, javascript]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


def _submit(page, visit: Visit, fields: dict[str, str | bool], *, checks_off: bool):
    """Submit the visit's form with ``fields`` (a checkbox: True ticks it), by its
    ``button`` or its first submit button; ``checks_off``: the browser's own
    validation off (wrong values)."""
    selector = visit.form or f'main form:has([name="{next(iter(fields))}"])'
    form = page.locator(selector).first
    if checks_off:
        form.evaluate("form => { form.noValidate = true; }")
    for name, value in fields.items():
        field = form.locator(f'[name="{name}"]').first
        if value is True:
            field.check()
        elif field.evaluate("field => field.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation() as navigation:
        form.locator(visit.button or "[type=submit]").first.click()
    return navigation.value


def _load(page, url: str, visit: Visit) -> list[str]:
    """Load the visit's page state; what is wrong with the answer itself."""
    response = page.goto(url)
    if visit.errors is not None:
        response = _submit(page, visit, visit.errors, checks_off=True)
    elif visit.submit is not None:
        response = _submit(page, visit, visit.submit, checks_off=False)
    problems = []
    if response.status != visit.status:
        problems.append(f"answered {response.status}, not {visit.status}")
    if "text/html" not in response.headers.get("content-type", ""):
        problems.append(f"is not HTML: {response.headers.get('content-type')}")
    if visit.errors is not None and visit.status == 200 and not page.locator(ERROR_MARKS).count():
        problems.append("shows no error after a wrong submission")
    if visit.submit is not None and page.locator(ERROR_MARKS).count():
        problems.append("shows an error after its submission: not the page it visits")
    return problems


def _overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0 when it fits)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return max(0, width - page.viewport_size["width"] - 1)


def _walk(
    visitor: Visitor, scenario, group: Group, report: Report, timings: dict[str, float]
) -> list[str]:
    language = visitor.language
    routes = dict(url_patterns())
    # In another language than the prefecture's, its French must be marked (RGAA 8.7, 8.10).
    french = french_values() if language != settings.LANGUAGE_CODE else []
    rtl = language in settings.LANGUAGES_BIDI
    failures: list[str] = []
    for key, visit in group.visits:
        if key in PAGES and key not in routes:
            continue  # a page another branch has not merged yet
        where = f"[{language}] {visit.name(key)}"
        started = time.perf_counter()
        with visit.state(scenario):
            url = visitor.live_server.url + visit.url(key, scenario)
            page = visitor.page(visit.persona)
            page.set_viewport_size(DESKTOP)
            problems = _load(page, url, visit)
            lang = page.locator("html").get_attribute("lang")
            if lang != language and visit.template not in NO_LANGUAGE_TEMPLATES:
                problems.append(f"is in {lang!r}, not {language!r}")
            if french:
                problems += unmarked_french(page, french, rtl=rtl)
            axe_inject(page)
            failures += report.add(f"{where} @1280", axe_check(page))
            page.set_viewport_size(PHONE)
            failures += report.add(f"{where} @360", axe_check(page))
            if overflow := _overflow(page):
                problems.append(f"is {overflow} px too wide at 360 px")
            nojs = visitor.page(visit.persona, javascript=False)
            problems += [f"without JavaScript: {p}" for p in _load(nojs, url, visit)]
            if overflow := _overflow(nojs):
                problems.append(f"without JavaScript: is {overflow} px too wide at 360 px")
        timings[where] = time.perf_counter() - started
        failures += [f"{where}: {problem}" for problem in problems]
    return failures


# Rendered without a request (Django's 500 handler): the active language is not
# passed to the template, which falls back to the default one.
NO_LANGUAGE_TEMPLATES = {"500.html", "400.html"}


@pytest.mark.parametrize("language", checked_languages())
@pytest.mark.parametrize("group", groups(), ids=lambda group: group.name)
def test_every_page_passes_axe(
    chromium, live_server, tmp_path_factory, language: str, group: Group
):
    scenario = build_world()
    visitor = Visitor(chromium, live_server, language, sessions(scenario))
    report = Report()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        failures = _walk(visitor, scenario, group, report, timings)
    finally:
        visitor.close()
    report_path = tmp_path_factory.getbasetemp() / f"axe-{language}-{group.name}.json"
    report.write(report_path)
    print(
        f"\naxe [{language}] {group.name}: {len(group.visits)} visits in "
        f"{time.perf_counter() - started:.1f} s; report in {report_path}\n{report.summary()}\n"
        + "slowest: "
        + ", ".join(
            f"{where} {seconds:.1f} s"
            for where, seconds in sorted(timings.items(), key=lambda item: -item[1])[:3]
        )
    )
    assert not failures, "\n".join(failures)


def test_axe_fails_a_field_without_a_label(chromium, live_server):
    """The harness's teeth: an input without a label on a real page is a failing violation."""
    page = chromium.new_page()
    page.goto(live_server.url + reverse("accounts:login"))
    page.locator('label[for="id_password"]').evaluate("label => label.remove()")
    axe_inject(page)
    failing = [violation.rule for violation in axe_check(page) if violation.fails]
    page.context.close()
    assert "label" in failing


def test_overflow_is_measured_with_javascript_off(chromium, live_server):
    """The no-JavaScript check sees a page wider than the phone (the DevTools protocol
    evaluates even when the page's own scripts may not run)."""
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + reverse("accounts:login"))
    fits = _overflow(page)
    page.locator("main").evaluate("main => { main.style.minWidth = '600px'; }")
    too_wide = _overflow(page)
    context.close()
    assert (fits, too_wide > 0) == (0, True)
