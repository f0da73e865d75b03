"""Every SMS fits ``SMS_MAX_SEGMENTS``, in every language, whatever the names.

The SMS templates are found on disk (``templates/notifications/*/sms.txt``)
and the languages read from ``settings.LANGUAGES``: a new template or a new
language is checked without being listed here. Each is rendered for the
longest names the models allow and for the longest of the demo data, with the
public links on a long domain, and must fit with only names and addresses cut
(the last resort, cutting the template's own words, logs an error: a failure
here). Arabic is tried with a pseudo-translation until its catalogue arrives.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from booking.models import REFERENCE_LENGTH, Appointment, Procedure, Site, Slot
from core.links import public_url
from demo.seed.places import PROCEDURES, SITES
from notifications import gsm
from notifications.rendering import appointment_context, render
from notifications.services.alerts import unsubscribe_url
from tests.helpers.offer_links import longest_offer_url

SMS_KEYS = sorted(
    path.parent.name
    for path in (settings.BASE_DIR / "templates" / "notifications").glob("*/sms.txt")
)
LANGUAGES = [code for code, _name in settings.LANGUAGES]
# A prefecture's real kind of address, longer than most.
LONG_BASE_URL = "https://rendez-vous-titres-de-sejour.seine-saint-denis.gouv.fr"
MISSING = "@@MISSING %s@@"


def _words(text: str, length: int) -> str:
    """``text`` repeated, with spaces, to exactly ``length`` characters."""
    repeated = " ".join([text] * (length // len(text) + 1))[:length]
    return repeated[:-1] + "x" if repeated.endswith(" ") else repeated


def _field_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _longest_allowed() -> tuple[Site, Procedure]:
    site = Site(
        slug="s" * _field_length(Site, "slug"),
        name=_words("Sous-préfecture de l'Île-Saint-Denis", _field_length(Site, "name")),
        address=_words("bâtiment œuvre 12 rue", _field_length(Site, "address")),
        postcode="9" * _field_length(Site, "postcode"),
        city=_words("Saint-Ouen-sur-Seine", _field_length(Site, "city")),
    )
    procedure = Procedure(
        slug="p" * _field_length(Procedure, "slug"),
        name=_words("Renouvellement de carte pluriannuelle", _field_length(Procedure, "name")),
    )
    return site, procedure


def _longest_demo() -> tuple[Site, Procedure]:
    site = max(SITES, key=lambda s: len(s["name"]) + len(s["address"]) + len(s["city"]))
    procedure = max(PROCEDURES, key=lambda p: len(p["name"]) + len(p["slug"]))
    return (
        Site(**{k: site[k] for k in ("slug", "name", "address", "postcode", "city")}),
        Procedure(slug=procedure["slug"], name=procedure["name"]),
    )


WORLDS = {"longest allowed": _longest_allowed, "longest demo": _longest_demo}


def worst_context(site: Site, procedure: Procedure) -> dict:
    """What any SMS template may show, as long as it gets: the appointment's
    context as the messages build it, and what the account messages add."""
    slot = Slot(
        site=site,
        procedure=procedure,
        starts_at=datetime(2026, 12, 14, 9, 40, tzinfo=ZoneInfo("Europe/Paris")),
    )
    appointment = Appointment(reference="W" * REFERENCE_LENGTH, slot=slot, procedure=procedure)
    return {
        **appointment_context(appointment),
        "unsubscribe_url": unsubscribe_url(2_147_483_647),
        "code": "987654",
        "minutes": settings.ACCOUNTS_PHONE_CODE_MINUTES,
        "confirm_url": public_url(reverse("accounts:email_confirm", args=["t" * 120])),
        "set_password_url": public_url(
            reverse("accounts:password_reset_confirm", args=["MTIzNDU2", "c" * 39])
        ),
        "reset_url": public_url(
            reverse("accounts:password_reset_confirm", args=["MTIzNDU2", "c" * 39])
        ),
        "days": 3,
        "hours": 72,
        "full_name": _words("Marie-Françoise", 200),
        "role": "Agent",
        # The waiting list's messages (an account holder's: the longest).
        "offer_url": longest_offer_url(),
        "expires_at": datetime(2026, 12, 13, 23, 59, tzinfo=ZoneInfo("Europe/Paris")),
        "has_account": True,
        "account_url": public_url(reverse("accounts:me")),
    }


@pytest.fixture
def strict_templates(settings):
    """A variable the worst-case context lacks shows in the text: add it there."""
    settings.TEMPLATES = [
        {**engine, "OPTIONS": {**engine["OPTIONS"], "string_if_invalid": MISSING}}
        for engine in settings.TEMPLATES
    ]


@pytest.fixture
def public_site(settings):
    settings.PUBLIC_BASE_URL = LONG_BASE_URL


def _is_latin(text: str) -> bool:
    return all(unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())


def assert_fits(*, key: str, language: str, context: dict, caplog) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="notifications.rendering"):
        text = render(key=key, channel="sms", language=language, context=context).text

    assert "@@MISSING" not in text, text
    assert gsm.segments(text) <= settings.SMS_MAX_SEGMENTS, (gsm.segments(text), text)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], text
    assert "\n" not in text
    # The links and codes the template shows are whole, whatever was cut.
    plain = render(key=key, channel="sms", language=language, context=worst_context(*_tiny())).text
    for value in context.values():
        if isinstance(value, str) and value in plain:
            assert value in text, (value, text)
    if _is_latin(text):
        assert gsm.encoding(text) == "GSM-7", text  # UCS-2 only for another script
    return text


def _tiny() -> tuple[Site, Procedure]:
    # The same links as the worst case (slugs included), names of one letter.
    site, procedure = _longest_allowed()
    site.name = site.address = site.city = "X"
    procedure.name = "X"
    return site, procedure


@pytest.mark.parametrize("world", sorted(WORLDS))
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", SMS_KEYS)
def test_every_sms_fits_its_segment_budget(
    key, language, world, strict_templates, public_site, caplog
):
    assert_fits(key=key, language=language, context=worst_context(*WORLDS[world]()), caplog=caplog)


@pytest.mark.parametrize("world", sorted(WORLDS))
@pytest.mark.parametrize("key", SMS_KEYS)
def test_every_arabic_sms_goes_as_ucs2_within_budget(
    key, world, strict_templates, public_site, caplog
):
    # Arabic letters are not GSM-7: never transliterated, counted 70/67 per segment.
    text = assert_fits(
        key=key, language="ar", context=worst_context(*WORLDS[world]()), caplog=caplog
    )

    assert gsm.encoding(text) == "UCS-2"


def test_the_templates_and_languages_are_found():
    # Guards the discovery itself: an empty list would make the tests above vacuous.
    assert {
        "appointment_booked",
        "appointment_reminder",
        "phone_code",
        "new_slots",
        "offer_made",
        "offer_withdrawn",
        "waitlist_paused",
    } <= set(SMS_KEYS)
    assert {"fr", "en", "ar"} <= set(LANGUAGES)


def test_demo_names_are_sent_whole_in_french(public_site, caplog):
    # With the default budget a realistic French SMS loses nothing.
    site, procedure = _longest_demo()
    context = worst_context(site, procedure)
    with caplog.at_level(logging.INFO, logger="notifications.rendering"):
        text = render(key="appointment_booked", channel="sms", language="fr", context=context).text

    assert site.name in text
    assert not caplog.records


def test_a_long_address_is_cut_and_the_reference_time_and_link_stay(settings, public_site, caplog):
    settings.SMS_MAX_SEGMENTS = 2
    site, procedure = _longest_allowed()
    context = worst_context(site, procedure)

    with caplog.at_level(logging.INFO, logger="notifications.rendering"):
        text = render(key="appointment_booked", channel="sms", language="fr", context=context).text

    assert gsm.segments(text) == 2
    assert "WWWWWWWW" in text and "14/12/2026" in text and "09:40" in text
    assert text.endswith(context["cancel_url"])
    assert "..." in text  # the cut names, transliterated
    assert site.name not in text
    assert [r.levelname for r in caplog.records] == ["INFO"]
    assert "shortened to fit SMS_MAX_SEGMENTS=2" in caplog.records[0].getMessage()


def test_a_budget_too_small_for_the_words_cuts_them_and_logs_an_error(
    settings, public_site, caplog
):
    settings.SMS_MAX_SEGMENTS = 1
    context = worst_context(*_longest_demo())

    with caplog.at_level(logging.INFO, logger="notifications.rendering"):
        text = render(key="appointment_booked", channel="sms", language="ar", context=context).text

    assert gsm.segments(text) == 1
    assert [r.levelname for r in caplog.records] == ["ERROR"]
