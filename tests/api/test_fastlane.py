"""Token API requests pass by the page-only middleware (accounts.fastlane); every
other request still goes through them."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.fastlane import is_token_api
from tests.auth import login
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def test_a_token_request_keeps_the_security_headers_and_the_language(applicant_user):
    api = token_client(applicant_user)

    response = api.get(URL, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Content-Language"] == "fr"
    assert response["X-Frame-Options"] == "DENY"
    # Passed by: no session read nor written.
    assert "sessionid" not in response.cookies
    assert not hasattr(response.wsgi_request, "session")


def test_a_wrong_token_is_refused_even_with_a_logged_in_session(applicant_user):
    api = APIClient()
    api.force_login(applicant_user)
    assert api.get(URL).status_code == 200  # the session alone is enough

    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_api_by_session_still_checks_csrf_on_writes(applicant_user, slot):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(applicant_user)

    response = api.post(URL, {"slot": slot.pk}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_pages_still_get_sessions_and_frame_options(client: Client, applicant_user):
    login(client, applicant_user)

    response = client.get("/", HTTP_AUTHORIZATION="Token anything")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response.wsgi_request.user == applicant_user


@pytest.mark.parametrize(
    ("path", "header", "expected"),
    [
        ("/api/v1/appointments/", "Token abc", True),
        ("/api/v1/appointments/", "token abc", True),
        ("/api/v1/appointments/", "Bearer abc", False),
        ("/api/v1/appointments/", "", False),
        ("/api/v1/auth/token/", "Token abc", False),  # takes a password: the full chain
        ("/agent/", "Token abc", False),
    ],
)
def test_which_requests_take_the_fast_lane(rf, path, header, expected):
    request = rf.get(path, HTTP_AUTHORIZATION=header)

    assert is_token_api(request) is expected
