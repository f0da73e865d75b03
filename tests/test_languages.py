"""Adding a language is a line of ``settings.LANGUAGES`` and its catalogue: no
template or code lists the languages (docs/translations.md).

Each check adds a language the project does not have to the settings, and
finds it offered wherever languages are: the catalogue extraction of
``make messages``, the header's switcher, the account's language form, the
admin's, the messages. Hebrew stands for a right-to-left language: the page
turns by Django's bidi flag, not by a list of ours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from accounts.forms import LanguageForm
from booking.forms import WalkInContactAdminForm
from core.management.commands.messages import makemessages_options
from notifications.rendering import render

WITH_GERMAN_AND_HEBREW = override_settings(
    LANGUAGES=[*settings.LANGUAGES, ("de", "Deutsch"), ("he", "Hebrew")]
)


def _html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


def test_arabic_is_a_language_of_the_service():
    assert "ar" in dict(settings.LANGUAGES)


@WITH_GERMAN_AND_HEBREW
def test_make_messages_extracts_a_catalogue_for_every_language_of_the_settings():
    assert makemessages_options()["locale"] == ["fr", "en", "ar", "de", "he"]


@WITH_GERMAN_AND_HEBREW
def test_the_language_forms_offer_every_language_of_the_settings():
    form = LanguageForm(data={"language": "de"})

    assert [code for code, _name in form.fields["language"].choices][-2:] == ["de", "he"]
    assert form.is_valid()
    admin_choices = WalkInContactAdminForm().fields["preferred_language"].widget.choices
    assert ("he", "Hebrew") in list(admin_choices)


@WITH_GERMAN_AND_HEBREW
def test_messages_are_rendered_in_a_language_of_the_settings():
    context = {
        "reference": "K7QM2XPA",
        "site": SimpleNamespace(name="Bobigny"),
        "starts_at": datetime(2026, 12, 24, 14, 30, tzinfo=UTC),
    }

    rendered = render(key="appointment_cancelled", channel="sms", language="de", context=context)

    # Without a German catalogue the words fall back to French (Django's
    # fallback to LANGUAGE_CODE), but German is active: its date format.
    assert "24.12.2026" in rendered.text


@pytest.mark.django_db
@WITH_GERMAN_AND_HEBREW
def test_the_header_switches_to_a_language_of_the_settings_and_its_direction(client):
    home = client.get(reverse("home"))
    assert 'name="language" value="he"' in home.content.decode()

    client.post(reverse("set_language"), {"language": "he", "next": reverse("home")})
    page = client.get(reverse("home"))

    assert _html_tag(page) == '<html lang="he" dir="rtl">'


@pytest.mark.django_db
def test_arabic_pages_are_right_to_left(client):
    client.post(reverse("set_language"), {"language": "ar", "next": reverse("home")})
    page = client.get(reverse("home"))

    assert _html_tag(page) == '<html lang="ar" dir="rtl">'
    assert "الحجز مجاني" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "html"),
    [("fr", '<html lang="fr" dir="ltr">'), ("ar", '<html lang="ar" dir="rtl">')],
)
def test_an_e_mail_is_written_in_its_language_and_direction(language, html):
    context = {"confirm_url": "https://guichet.example/confirm/", "days": 3}

    rendered = render(key="email_confirm", channel="email", language=language, context=context)

    assert html in rendered.html


@WITH_GERMAN_AND_HEBREW
def test_the_error_page_speaks_every_language_of_the_settings():
    """The 500 page is rendered without a request: it cannot know the reader's
    language, so it says it in all of them, each in its direction."""
    with translation.override("fr"):
        page = render_to_string("500.html")

    assert '<html lang="fr" dir="ltr">' in page
    assert '<div lang="ar" dir="rtl"' in page
    assert "خطأ غير متوقع" in page
    assert '<div lang="he" dir="rtl"' in page
    assert '<div lang="de" dir="ltr"' in page
