"""Every error under /api/v1/ is JSON ``{code, detail}`` with a stable code."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_malformed_json_gets_parse_error(applicant_api):
    response = applicant_api.post(
        "/api/v1/appointments/", '{"slot": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert set(response.json()) == {"code", "detail"}


def test_non_json_body_gets_unsupported_media_type(applicant_api, slot):
    response = applicant_api.post(
        "/api/v1/appointments/", f"slot={slot.pk}", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_wrong_method_gets_method_not_allowed(applicant_api):
    response = applicant_api.delete("/api/v1/appointments/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/sites/extra/", "/api/v1/sites", "/api/v1/"]
)
def test_unknown_api_url_gets_a_json_not_found(anonymous_api, path):
    response = anonymous_api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    assert set(response.json()) == {"code", "detail"}


def test_unknown_api_url_is_not_found_for_any_method(applicant_api):
    response = applicant_api.post("/api/v1/nothing-here/", {}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_json_not_found_follows_the_accept_language_header(anonymous_api):
    english = anonymous_api.get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="en")
    french = anonymous_api.get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="fr")

    assert english.json()["detail"] == "Not found."
    assert french.json()["detail"] != english.json()["detail"]


def test_domain_errors_follow_the_accept_language_header(applicant_api):
    english = applicant_api.post(
        "/api/v1/appointments/", {"slot": 987654321}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert english.json() == {"code": "slot_not_found", "detail": "This time slot does not exist."}


@pytest.mark.parametrize(
    "accept", [None, "", "*/*", "application/json", "application/json; indent=4", "*/*;q=0.8"]
)
def test_any_accept_that_allows_json_gets_json(applicant_api, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = applicant_api.get("/api/v1/appointments/", **headers)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("accept", "query", "status", "code"),
    [
        ("text/html", "", 406, "not_acceptable"),
        # An unknown ?format= is DRF's 404, whatever the Accept header says.
        ("*/*", "?format=yaml", 404, "not_found"),
        ("application/json", "?format=csv", 404, "not_found"),
    ],
)
def test_an_accept_or_format_without_json_is_refused(applicant_api, accept, query, status, code):
    response = applicant_api.get(f"/api/v1/appointments/{query}", HTTP_ACCEPT=accept)

    assert response.status_code == status
    assert response.json()["code"] == code
