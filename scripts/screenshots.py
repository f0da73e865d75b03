"""Screenshots of the main pages of each role, for people who will not run Guichet.

``make screenshots`` runs this. It prepares the database as ``make run`` does
(the embedded PostgreSQL of ``.devdb/`` unless ``DATABASE_URL`` is set, then
``migrate`` and ``seed_demo``), starts its own development server on a free
port, logs in as each role of the demo data (its credentials come from
``demo.seed``, the staff's second factor from ``demo.otp``), and writes
``docs/screenshots/<role>-<page>.<language>.<width>.png`` for French and
Arabic (those of ``settings.LANGUAGES``), at phone (360 px) and desktop
(1280 px) width. Then it stops its server, and the embedded PostgreSQL if it
started it.

Phone shots also measure each page at 320 px: a page wider than the screen
(RGAA 10.11, reflow) is reported at the end.

Usage: ``python scripts/screenshots.py [--out DIR] [--only SUBSTRING]``.
``tests/test_screenshots.py`` checks the page list against the URL resolver.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
WANTED_LANGUAGES = ("fr", "ar")
# name: (viewport, the most of the page shot: long pages are cut, not shrunk)
WIDTHS = {
    "phone": ({"width": 360, "height": 740}, 1280),
    "desktop": ({"width": 1280, "height": 800}, 960),
}
REFLOW_WIDTH = 320
ROLES = ("anonymous", "applicant", "mediator", "agent", "supervisor")


@dataclass(frozen=True)
class Demo:
    """What the pages' addresses need from the demo data, read once it is seeded."""

    procedure: str  # the booking path's procedure (the applicant has none booked)
    site: str
    applicant_pk: int
    reference: str  # the applicant's upcoming appointment


@dataclass(frozen=True)
class Shot:
    """One page of a role. ``url`` opens it; without, ``follow`` is clicked on the
    page before (the booking path: a day, then a time, as a person would)."""

    role: str
    name: str
    route: str  # the URL name the page must resolve to, checked at each shot
    url: Callable[[Demo], str] | None = None
    follow: tuple[str, ...] = ()  # CSS selectors tried in turn; the first present is clicked

    def filename(self, language: str, width: str) -> str:
        return f"{self.role}-{self.name}.{language}.{width}.png"


def _reverse(name: str, *args) -> Callable[[Demo], str]:
    def url(demo: Demo) -> str:
        from django.urls import reverse

        return reverse(name, args=[getattr(demo, arg) for arg in args])

    return url


SHOTS = [
    Shot("anonymous", "home", "home", _reverse("home")),
    Shot("anonymous", "login", "accounts:login", _reverse("accounts:login")),
    Shot("anonymous", "register", "accounts:register", _reverse("accounts:register")),
    Shot("anonymous", "help-points", "mediation:points", _reverse("mediation:points")),
    Shot(
        "anonymous",
        "help-substitution",
        "mediation:substitution",
        _reverse("mediation:substitution"),
    ),
    Shot("anonymous", "accessibility", "accessibility", _reverse("accessibility")),
    Shot("applicant", "booking-procedures", "booking:procedures", _reverse("booking:procedures")),
    Shot("applicant", "booking-sites", "booking:sites", _reverse("booking:sites", "procedure")),
    Shot(
        "applicant", "booking-days", "booking:days", _reverse("booking:days", "procedure", "site")
    ),
    # The first day with free times; in a week with none, the "next free day" first.
    Shot("applicant", "booking-times", "booking:times", follow=("main .guichet-week a",)),
    Shot("applicant", "booking-confirm", "booking:confirm", follow=("main .guichet-times a",)),
    Shot(
        "applicant",
        "appointments",
        "booking:my_appointments",
        _reverse("booking:my_appointments"),
    ),
    Shot(
        "applicant",
        "appointment",
        "booking:appointment_detail",
        _reverse("booking:appointment_detail", "reference"),
    ),
    Shot(
        "applicant",
        "appointment-cancel",
        "booking:appointment_cancel",
        _reverse("booking:appointment_cancel", "reference"),
    ),
    Shot("applicant", "account", "accounts:me", _reverse("accounts:me")),
    Shot("mediator", "help-points", "mediation:points", _reverse("mediation:points")),
    Shot("mediator", "account", "accounts:me", _reverse("accounts:me")),
    Shot(
        "agent",
        "identity-correct",
        "agent:identity_correct",
        _reverse("agent:identity_correct", "applicant_pk"),
    ),
    Shot("agent", "account", "accounts:me", _reverse("accounts:me")),
    Shot("supervisor", "staff-list", "staff:list", _reverse("staff:list")),
    Shot("supervisor", "audit-search", "audit:search", _reverse("audit:search")),
]


def languages() -> list[str]:
    """French and Arabic, as far as the settings offer them (Arabic comes with its catalogue)."""
    from django.conf import settings

    offered = [code for code, _name in settings.LANGUAGES]
    return [code for code in WANTED_LANGUAGES if code in offered]


def credentials() -> dict[str, str]:
    """Each role's e-mail address, from the seed: one place for the demo accounts."""
    from demo import seed

    return {
        "applicant": seed.APPLICANT_EMAIL,
        "mediator": seed.MEDIATOR_EMAIL,
        "agent": seed.AGENT_EMAIL,
        "supervisor": seed.SUPERVISOR_EMAIL,
    }


# --- The app ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are
    # synchronous all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()


def _prepare_database() -> bool:
    """``make run``'s first three steps; True when the embedded server was started here."""
    from django.core.management import call_command

    from core import devdb

    started = False
    if not os.environ.get("DATABASE_URL"):  # settings have read .env by now
        started = not devdb.running()
        devdb.start()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")
    return started


def _start_server(port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server stopped ({server.returncode}):\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"The server did not answer on port {port}:\n{log.read_text()}")


# --- The browser ----------------------------------------------------------------------------


def _log_in(page, base: str, role: str) -> None:
    from django.urls import reverse

    from demo.otp import demo_otp_codes
    from demo.seed import DEMO_PASSWORD

    email = credentials()[role]
    page.goto(base + reverse("accounts:login"))
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if role != "applicant":
        code = next(each.code for each in demo_otp_codes() if each.email == email)
        page.goto(base + reverse("accounts:otp_verify"))
        page.fill("input[name=code]", code)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()


def _bookable_procedures() -> list[str]:
    """The demo procedures the demo applicant may book online, in the seed's order."""
    from booking.models import RequiredDocument
    from demo.seed import DEMO_APPLICANT_IDENTITY, PROCEDURES

    document = DEMO_APPLICANT_IDENTITY.document_type
    return [
        row["slug"]
        for row in PROCEDURES
        if row["self_booking"] and row["required_document"] in (document, RequiredDocument.EITHER)
    ]


def _upcoming(email: str):
    from booking.models import ACTIVE_STATUSES, Appointment

    return (
        Appointment.objects.filter(applicant__user__email=email, status__in=ACTIVE_STATUSES)
        .select_related("procedure")
        .order_by("pk")
    )


def _follow(page, selectors: tuple[str, ...]) -> None:
    """Click the first link found, going to the next free day first when the week has none."""
    for selector in selectors:
        links = page.locator(selector)
        if links.count() == 0:
            links = page.locator("main .fr-alert a")
            if links.count():
                links.first.click()
                page.wait_for_load_state()
                links = page.locator(selector)
        if links.count():
            links.first.click()
            page.wait_for_load_state()
            return
    raise SystemExit(f"Nothing to follow on {page.url}: {selectors}")


def _book_one(page, base: str, procedure: str, site: str) -> None:
    """Give the demo applicant an appointment through the pages, as they would book it."""
    from django.urls import reverse

    page.goto(base + reverse("booking:days", args=[procedure, site]))
    _follow(page, ("main .guichet-week a",))
    _follow(page, ("main .guichet-times a",))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def _demo(page, base: str) -> Demo:
    """The addresses' ingredients; books the applicant's appointment if they have none."""
    from booking.models import Applicant
    from demo.seed import APPLICANT_EMAIL, SITES

    bookable = _bookable_procedures()
    site = SITES[0]["slug"]
    if not _upcoming(APPLICANT_EMAIL).exists():
        _book_one(page, base, bookable[-1], site)
    appointments = list(_upcoming(APPLICANT_EMAIL))
    if not appointments:
        raise SystemExit("Could not book the demo applicant's appointment.")
    taken = {appointment.procedure.slug for appointment in appointments}
    free = [slug for slug in bookable if slug not in taken]
    if not free:
        raise SystemExit("The demo applicant has an appointment for every procedure.")
    return Demo(
        procedure=free[0],
        site=site,
        applicant_pk=Applicant.objects.get(user__email=APPLICANT_EMAIL).pk,
        reference=appointments[0].reference,
    )


def _shoot(page, base: str, shot: Shot, demo: Demo, path: Path, cut: int) -> None:
    from django.urls import resolve

    if shot.url is not None:
        page.goto(base + shot.url(demo))
        page.wait_for_load_state()
    else:
        _follow(page, shot.follow)
    seen = resolve(urlsplit(page.url).path).view_name
    if seen != shot.route:
        raise SystemExit(
            f"{shot.filename('*', '*')}: expected {shot.route}, got {seen} ({page.url})"
        )
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": min(height, cut)},
    )


def _too_wide(page) -> int | None:
    """The page's width at 320 px when it scrolls sideways, else None."""
    size = page.viewport_size
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": size["height"]})
    try:
        wide = page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(size)
    return wide if wide > REFLOW_WIDTH else None


def run(out: Path, only: str = "") -> list[str]:
    """Write the screenshots; return the pages too wide at 320 px."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    codes = languages()
    started_devdb = _prepare_database()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(port, out / ".server.log")
    too_wide: list[str] = []
    written = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                demo = None
                for role in ROLES:
                    shots = [s for s in SHOTS if s.role == role and only in s.filename("", "")]
                    if not shots and role != "applicant":
                        continue
                    context = browser.new_context(viewport=WIDTHS["desktop"][0])
                    page = context.new_page()
                    if role != "anonymous":
                        _log_in(page, base, role)
                    if role == "applicant":
                        demo = _demo(page, base)
                    for language in codes:
                        # After the login: the server may have set its own cookie.
                        context.add_cookies(
                            [{"name": "django_language", "value": language, "url": base}]
                        )
                        for width, (viewport, cut) in WIDTHS.items():
                            page.set_viewport_size(viewport)
                            for shot in shots:
                                name = shot.filename(language, width)
                                _shoot(page, base, shot, demo or _placeholder(), out / name, cut)
                                written += 1
                                if width == "phone" and (wide := _too_wide(page)):
                                    too_wide.append(f"{name}: {wide} px at {REFLOW_WIDTH} px")
                    context.close()
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        (out / ".server.log").unlink(missing_ok=True)
        if started_devdb:
            from core import devdb

            devdb.stop()
    print(f"{written} screenshots in {out} ({', '.join(codes)}).")
    return too_wide


def _placeholder() -> Demo:
    """The anonymous pages need nothing from the demo; they come before the applicant's."""
    return Demo(procedure="", site="", applicant_pk=0, reference="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", default="", help="only the pages whose file name has this")
    options = parser.parse_args(argv)
    _setup_django()
    too_wide = run(options.out, options.only)
    for line in too_wide:
        print(f"Scrolls sideways (RGAA 10.11): {line}")
    if not too_wide:
        print(f"No page scrolls sideways at {REFLOW_WIDTH} px.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
