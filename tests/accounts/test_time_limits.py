"""Time limits the person controls and is told about (RGAA 13.1): the session ends after
SESSION_IDLE_MINUTES without activity and each request pushes that end back; the forms
announce it, and the phone code page its validity, from the settings that enforce them."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse

from accounts import services
from accounts.idle import REFRESHED_AT
from core.templatetags.time_limits import duration_text
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db


def _logged_in():
    user = factories.ApplicantFactory().user
    client = login(Client(), user)
    return client, Session.objects.get(session_key=client.session.session_key)


def _age_the_stamp(client, seconds: int) -> None:
    session = client.session
    session[REFRESHED_AT] = int(time.time()) - seconds
    session.save()


def test_the_session_outlives_the_announced_idle_limit():
    assert settings.SESSION_COOKIE_AGE >= settings.SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_REFRESH_SECONDS < settings.SESSION_IDLE_MINUTES * 60


def test_a_request_after_the_refresh_interval_pushes_the_end_back():
    client, before = _logged_in()
    _age_the_stamp(client, settings.SESSION_REFRESH_SECONDS + 1)
    Session.objects.filter(pk=before.pk).update(expire_date=before.expire_date.replace(year=2030))
    stale = Session.objects.get(pk=before.pk).expire_date

    response = client.get(reverse("accounts:me"))

    assert response.status_code == 200
    after = Session.objects.get(pk=before.pk).expire_date
    assert after != stale
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


def test_a_request_within_the_interval_writes_nothing():
    client, before = _logged_in()
    client.get(reverse("accounts:me"))  # the first page after logging in

    response = client.get(reverse("accounts:me"))

    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.get(pk=before.pk).expire_date == before.expire_date


def test_logging_in_stamps_the_session_so_its_first_pages_write_nothing():
    client, _session = _logged_in()

    assert time.time() - client.session[REFRESHED_AT] < 60


def test_an_anonymous_visit_gets_no_session():
    response = Client().get(reverse("booking:procedures"))

    assert settings.SESSION_COOKIE_NAME not in response.cookies


@override_settings(SESSION_IDLE_MINUTES=45)
def test_the_identity_form_announces_the_idle_limit():
    user = factories.UserFactory()
    client = login(Client(), user)

    page = client.get(reverse("booking:identity")).content.decode()

    assert 'id="time-limit-session"' in page
    assert "45 minutes" in page


@override_settings(ACCOUNTS_PHONE_CODE_MINUTES=7)
def test_the_code_page_says_how_long_the_code_is_valid():
    user = factories.UnverifiedUserFactory(phone="+33698765432")
    services.phone_code_send(user=user, check_cool_down=False)
    client = login(Client(), user)

    page = client.get(reverse("accounts:verify")).content.decode()

    assert 'id="time-limit-phone_code"' in page
    assert "7 minutes" in page


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(1, "1 minute"), (45, "45 minutes"), (60, "1 hour"), (120, "2 hours"), (2880, "2 days")],
)
def test_durations_are_said_in_their_largest_whole_unit(minutes, text):
    from django.utils import translation

    with translation.override("en"):
        assert duration_text(minutes) == text
