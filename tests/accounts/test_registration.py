"""Registration, e-mail link and SMS code, through the pages and the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import errors, services
from accounts.models import PhoneVerification
from accounts.permissions import is_verified
from tests import factories
from tests.helpers.inbox import confirm_path, last_message, sms_code

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "un-long-mot-de-passe-93"


def _register(web, **overrides):
    data = {
        "email": "Amina.Diallo@Example.test",
        "password": PASSWORD,
        "phone": "06 12 34 56 78",
        "consent": "on",
    }
    data.update(overrides)
    return web.post(reverse("accounts:register"), data)


def _register_service(email="a@example.test", phone="0612345678"):
    return services.account_register(email=email, password=PASSWORD, phone=phone, consent=True)


def test_registration_page_shows_the_retention_period_and_an_unticked_consent(web):
    with override_settings(RETENTION_MONTHS=6):
        response = web.get(reverse("accounts:register"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "kept 6 months after your last appointment" in html
    consent = next(line for line in html.splitlines() if 'name="consent"' in line)
    assert "checked" not in consent


def test_registration_then_link_and_code_verify_the_account(web):
    response = _register(web)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")
    user = User.objects.get(email="amina.diallo@example.test")
    assert user.phone == "+33612345678"
    assert user.role == "applicant"
    assert not is_verified(user)
    assert user.password.startswith(("md5$", "argon2"))  # hashed, never clear

    # The e-mail link, from the outbox row, works without being logged in too.
    link = confirm_path("amina.diallo@example.test")
    response = web.get(link)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert not is_verified(user)

    # The SMS code, from the outbox row.
    message = last_message(template_key="phone_code", destination="+33612345678")
    assert message.channel == "sms" and message.user_id == user.pk
    response = web.post(reverse("accounts:phone_confirm"), {"code": sms_code("+33612345678")})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:me")
    user.refresh_from_db()
    assert user.phone_verified_at is not None
    assert is_verified(user)


def test_the_code_is_stored_hashed(web):
    _register(web)
    code = sms_code("+33612345678")
    verification = PhoneVerification.objects.get()
    assert code not in verification.code_hash
    assert len(verification.code_hash) == 64


@pytest.mark.parametrize("phone", ["123", "01 40 20 30 40", "06 12 34", "not a number"])
def test_a_bad_or_landline_phone_is_refused(web, phone):
    response = _register(web, phone=phone)
    assert response.status_code == 200
    assert "Enter a valid mobile phone number" in response.content.decode()
    assert not User.objects.exists()


def test_a_foreign_mobile_is_accepted_in_e164(web):
    _register(web, phone="+32 470 12 34 56")
    assert User.objects.get().phone == "+32470123456"


@pytest.mark.parametrize("password", ["short1", "1234567890123", "password1234"])
def test_a_weak_password_is_refused(web, password):
    response = _register(web, password=password)
    assert response.status_code == 200
    assert not User.objects.exists()


def test_a_password_like_the_email_is_refused(web):
    response = _register(web, email="aminadiallo93@example.test", password="aminadiallo93")
    assert response.status_code == 200
    assert not User.objects.exists()


def test_an_existing_email_is_refused_whatever_its_case(web):
    factories.UserFactory(email="amina.diallo@example.test")
    response = _register(web)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_registration_without_consent_is_refused(web):
    response = _register(web, consent="")
    assert response.status_code == 200
    assert not User.objects.exists()


def test_the_service_refuses_without_consent_too():
    with pytest.raises(errors.ConsentRequired):
        services.account_register(
            email="a@example.test", password=PASSWORD, phone="0612345678", consent=False
        )


def test_five_wrong_codes_kill_the_code():
    user = _register_service()
    code = sms_code(user.phone)
    wrong = "000000" if code != "000000" else "111111"
    for _try in range(5):
        with pytest.raises(errors.PhoneCodeInvalid):
            services.phone_confirm(user=user, code=wrong)
    with pytest.raises(errors.PhoneCodeExpired):
        services.phone_confirm(user=user, code=code)  # even the right one, now
    user.refresh_from_db()
    assert user.phone_verified_at is None


def test_an_expired_code_is_refused():
    user = _register_service()
    code = sms_code(user.phone)
    with pytest.raises(errors.PhoneCodeExpired):
        services.phone_confirm(user=user, code=code, now=timezone.now() + timedelta(minutes=11))


def test_a_code_works_once():
    user = _register_service()
    code = sms_code(user.phone)
    services.phone_confirm(user=user, code=code)
    with pytest.raises(errors.PhoneCodeExpired):
        services.phone_confirm(user=user, code=code)


def test_a_new_code_waits_for_the_cool_down_and_replaces_the_old_one():
    user = _register_service()
    first = sms_code(user.phone)
    with pytest.raises(errors.PhoneCodeTooSoon):
        services.phone_code_send(user=user)
    later = timezone.now() + timedelta(seconds=61)
    services.phone_code_send(user=user, now=later)
    second = sms_code(user.phone)
    assert PhoneVerification.objects.filter(user=user).count() == 2
    if first != second:
        with pytest.raises(errors.PhoneCodeInvalid):
            services.phone_confirm(user=user, code=first, now=later)
    services.phone_confirm(user=user, code=second, now=later)


def test_an_email_link_works_once(web):
    _register(web)
    link = confirm_path("amina.diallo@example.test")
    assert web.get(link).status_code == 302
    response = web.get(link)
    assert response.status_code == 409
    assert "has expired or has already been used" in response.content.decode()


def test_an_expired_or_forged_email_link_is_refused(web):
    user = _register_service()
    token = services.email_confirmation_token(user=user, address=user.email)
    with pytest.raises(errors.ConfirmationLinkInvalid):
        services.email_confirm(token=token + "x")
    with (
        override_settings(ACCOUNTS_EMAIL_LINK_DAYS=0),
        pytest.raises(errors.ConfirmationLinkInvalid),
    ):
        services.email_confirm(token=token)
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_staff_count_as_verified_and_applicants_need_both():
    assert is_verified(factories.AgentFactory(unverified=True))
    assert not is_verified(factories.UnverifiedUserFactory())
    assert not is_verified(factories.UserFactory(phone_verified_at=None))
    assert is_verified(factories.UserFactory())


def test_register_page_redirects_a_logged_in_user(web):
    web.force_login(factories.UserFactory())
    response = web.get(reverse("accounts:register"))
    assert response.status_code == 302


def test_verify_page_resends_a_code_after_the_cool_down(web):
    _register(web)
    user = User.objects.get()
    PhoneVerification.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    response = web.post(reverse("accounts:phone_code_resend"))
    assert response.status_code == 302
    assert PhoneVerification.objects.filter(user=user).count() == 2
    response = web.post(reverse("accounts:phone_code_resend"), follow=True)
    assert "less than a minute ago" in response.content.decode()
