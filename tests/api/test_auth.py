from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
APPOINTMENTS_URL = "/api/v1/appointments/"


def test_token_is_issued_for_right_credentials(anonymous_api, applicant_user):
    response = anonymous_api.post(
        TOKEN_URL,
        {"email": applicant_user.email, "password": factories.DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}
    token = ApiToken.objects.get(user=applicant_user)
    key = response.json()["token"]
    assert token.digest == ApiToken.digest_of(key)
    assert token.digest != key
    assert parse_datetime(response.json()["expires_at"]) == token.expires_at


def test_issued_token_authenticates_requests(anonymous_api, applicant_user):
    key = anonymous_api.post(
        TOKEN_URL,
        {"email": applicant_user.email.upper(), "password": factories.DEFAULT_PASSWORD},
        format="json",
    ).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get(APPOINTMENTS_URL)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_wrong_password_gets_invalid_credentials(anonymous_api, applicant_user):
    response = anonymous_api.post(
        TOKEN_URL, {"email": applicant_user.email, "password": "wrong-password"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(anonymous_api, applicant_user):
    wrong_password = anonymous_api.post(
        TOKEN_URL, {"email": applicant_user.email, "password": "wrong-password"}, format="json"
    )
    unknown_email = anonymous_api.post(
        TOKEN_URL,
        {"email": "nobody@example.test", "password": factories.DEFAULT_PASSWORD},
        format="json",
    )

    assert unknown_email.status_code == 400
    assert unknown_email.json() == wrong_password.json()
    assert set(unknown_email.json()) == {"code", "detail"}


def test_inactive_account_gets_invalid_credentials(anonymous_api, applicant_user):
    applicant_user.is_active = False
    applicant_user.save(update_fields=["is_active"])

    response = anonymous_api.post(
        TOKEN_URL,
        {"email": applicant_user.email, "password": factories.DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_missing_password_is_invalid(anonymous_api, applicant_user):
    response = anonymous_api.post(TOKEN_URL, {"email": applicant_user.email}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "password" in response.json()["fields"]


def test_no_credentials_gets_not_authenticated(anonymous_api):
    response = anonymous_api.get(APPOINTMENTS_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_unknown_token_gets_authentication_failed(anonymous_api):
    anonymous_api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = anonymous_api.get(APPOINTMENTS_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_expired_token_gets_authentication_failed(applicant_user):
    client = token_client(applicant_user)
    ApiToken.objects.filter(user=applicant_user).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = client.get(APPOINTMENTS_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_token_of_a_disabled_account_gets_authentication_failed(applicant_user):
    client = token_client(applicant_user)
    applicant_user.is_active = False
    applicant_user.save(update_fields=["is_active"])

    response = client.get(APPOINTMENTS_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_session_authenticates_reads(applicant_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(applicant_user)

    response = client.get(APPOINTMENTS_URL)

    assert response.status_code == 200


def test_session_post_without_csrf_token_is_refused(applicant_user, slot):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(applicant_user)

    response = client.post(APPOINTMENTS_URL, {"slot": slot.pk}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]
    assert not applicant_user.applicant.appointments.exists()


def test_session_post_with_csrf_token_books(applicant_user, slot):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(applicant_user)
    secret = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret

    response = client.post(
        APPOINTMENTS_URL, {"slot": slot.pk}, format="json", HTTP_X_CSRFTOKEN=secret
    )

    assert response.status_code == 201
    assert response.json()["channel"] == "api"


def test_token_post_needs_no_csrf_token(applicant_user, slot):
    client = token_client(applicant_user, enforce_csrf_checks=True)

    response = client.post(APPOINTMENTS_URL, {"slot": slot.pk}, format="json")

    assert response.status_code == 201


def test_errors_follow_the_accept_language_header(anonymous_api):
    english = anonymous_api.get(APPOINTMENTS_URL, HTTP_ACCEPT_LANGUAGE="en")
    french = anonymous_api.get(APPOINTMENTS_URL, HTTP_ACCEPT_LANGUAGE="fr")

    assert english.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }
    assert french.json() == {
        "code": "not_authenticated",
        "detail": "Informations d'authentification non fournies.",
    }
