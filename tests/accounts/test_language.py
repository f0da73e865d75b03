"""The language chosen in the header is the one of the pages and of the messages.

Written for any language of ``settings.LANGUAGES``: ``_another`` picks one the
account does not have yet, so the tests hold as languages are added.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role, User
from booking import services as booking
from booking.models import Applicant, Appointment
from notifications import services as notifications
from notifications.models import Message
from notifications.rendering import appointment_context, render
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def _another(language: str) -> str:
    return next(code for code, _name in settings.LANGUAGES if code != language)


def _switch(client, language: str, next_url: str = "/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_a_visitors_choice_is_a_cookie_and_nothing_else(client):
    chosen = _another(settings.LANGUAGE_CODE)

    response = _switch(client, chosen)

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == chosen
    assert f'<html lang="{chosen}"' in client.get(reverse("home")).content.decode()


def test_a_logged_in_choice_is_remembered_on_the_account_and_its_identity(client, applicant):
    user = applicant.user
    chosen = _another(user.language)
    login(client, user)

    response = _switch(client, chosen, reverse("booking:my_appointments"))

    assert response.status_code == 302
    assert response["Location"] == reverse("booking:my_appointments")
    assert response.cookies[COOKIE].value == chosen
    user.refresh_from_db()
    applicant.refresh_from_db()
    assert (user.language, applicant.preferred_language) == (chosen, chosen)


def test_after_a_switch_the_next_messages_are_owed_and_written_in_that_language(
    client, applicant, site, procedure, settings
):
    settings.NOTIFICATIONS_REMINDER_DAYS = 2
    chosen = _another(applicant.user.language)
    login(client, applicant.user)
    _switch(client, chosen)
    applicant.refresh_from_db()
    slot = factories.SlotFactory(site=site, procedure=procedure)  # in three days

    appointment = booking.appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=slot.pk
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    notifications.reminders_create(now=slot.starts_at - timedelta(days=1))
    booking.appointment_cancel(actor=applicant.user, appointment=appointment)

    owed = Message.objects.filter(appointment=appointment)
    assert {m.template_key for m in owed} == {
        "appointment_booked",
        "appointment_reminder",
        "appointment_cancelled",
    }
    assert {m.language for m in owed} == {chosen}
    confirmation = owed.get(template_key="appointment_booked", channel="sms")
    notifications.message_send(message_id=confirmation.pk)
    confirmation.refresh_from_db()
    expected = render(
        key="appointment_booked",
        channel="sms",
        language=chosen,
        context=appointment_context(Appointment.objects.get(pk=appointment.pk)),
    )
    assert confirmation.text == expected.text


def test_logging_in_serves_the_accounts_language_whatever_the_cookie(client):
    user = factories.UserFactory()
    chosen = _another(settings.LANGUAGE_CODE)
    User.objects.filter(pk=user.pk).update(language=chosen)
    client.cookies[COOKIE] = settings.LANGUAGE_CODE  # whoever used the browser before

    response = client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": factories.DEFAULT_PASSWORD},
    )

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == chosen
    assert f'<html lang="{chosen}"' in client.get(reverse("accounts:me")).content.decode()
    # And after logging out, the pages stay in it.
    client.post(reverse("accounts:logout"))
    assert f'<html lang="{chosen}"' in client.get(reverse("home")).content.decode()


def test_a_login_in_the_accounts_language_already_sets_no_cookie(client):
    user = factories.UserFactory()
    client.cookies[COOKIE] = user.language

    response = client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": factories.DEFAULT_PASSWORD},
    )

    assert response.status_code == 302
    assert COOKIE not in response.cookies


def test_the_choice_of_the_first_page_carries_into_registration_and_the_identity(client):
    chosen = _another(settings.LANGUAGE_CODE)
    _switch(client, chosen)

    client.post(
        reverse("accounts:register"),
        {
            "email": "amina.diallo@example.test",
            "password": "un-long-mot-de-passe-93",
            "phone": "06 12 34 56 78",
            "consent": "on",
        },
    )
    user = User.objects.get(email="amina.diallo@example.test")
    # The link and the code are owed in it too.
    assert {m.language for m in Message.objects.filter(user=user)} == {chosen}
    User.objects.filter(pk=user.pk).update(
        email_verified_at=timezone.now(), phone_verified_at=timezone.now()
    )
    client.post(
        reverse("booking:identity"),
        {
            "surname": "Diallo",
            "given_names": "Amina",
            "birth_date": "1990-05-17",
            "nationality": "SN",
            "document_type": "agdref",
            "document_number": "9312345678",
            "certify": "on",
        },
    )

    assert user.language == chosen
    assert Applicant.objects.get(user=user).preferred_language == chosen


@pytest.mark.parametrize(
    "data",
    [
        {"language": "xx", "next": "/"},
        {"language": "de", "next": "/"},  # Django has a catalogue; the project does not
        {"language": "en\x00", "next": "/"},
        {"language": "\x00"},
        {"language": "fr", "next": "/\x00"},
        {"language": "fr", "next": "https://evil.example/"},
        {"next": "/"},
        {},
    ],
)
def test_bad_input_changes_nothing_and_never_fails(client, applicant, data):
    user = applicant.user
    before = user.language
    login(client, user)
    client.cookies[COOKIE] = before

    response = client.post(reverse("set_language"), data)

    assert response.status_code in (204, 302)
    assert COOKIE not in response.cookies or response.cookies[COOKIE].value == before
    user.refresh_from_db()
    assert user.language == before
    assert response.get("Location", "/").startswith("/")  # never another site


def test_a_session_yet_to_pass_the_second_factor_writes_nothing_to_the_account(client, agent):
    client.force_login(agent)  # password passed, second factor not yet
    chosen = _another(agent.language)

    response = _switch(client, chosen)

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == chosen  # its pages may switch
    agent.refresh_from_db()
    assert agent.language != chosen


def test_the_account_page_sets_the_pages_language_too(client, applicant):
    chosen = _another(applicant.user.language)
    login(client, applicant.user)

    response = client.post(reverse("accounts:language"), {"language": chosen})

    assert response.cookies[COOKIE].value == chosen
    assert f'<html lang="{chosen}"' in client.get(response["Location"]).content.decode()


def test_a_staff_invitation_is_in_the_staff_sides_language_not_the_inviters(admin_user):
    chosen = _another(settings.LANGUAGE_CODE)
    account_services.account_language_set(user=admin_user, language=chosen)

    invited = account_services.staff_create(
        actor=admin_user, email="agent.nouveau@example.test", role=Role.SUPERVISOR
    )

    assert invited.language == settings.LANGUAGE_CODE
    assert {m.language for m in Message.objects.filter(user=invited)} == {settings.LANGUAGE_CODE}
