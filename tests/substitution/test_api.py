"""The API: filing a request (public) and reading its status (tracking number and
date of birth; a wrong pair is a 404 like a missing number)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from notifications.models import Message
from substitution import services
from substitution.models import Outcome, SubstitutionRequest
from tests.helpers.api_clients import token_client
from tests.substitution.conftest import rates

pytestmark = pytest.mark.django_db

URL = "/api/v1/substitution-requests/"


def _body(procedure_, site_=None, **changes) -> dict:
    return {
        "surname": "N'Diaye",
        "given_names": "Élodie",
        "birth_date": "1991-03-04",
        "nationality": "SN",
        "document_type": "agdref",
        "document_number": "9312345678",
        "procedure": procedure_.slug,
        "site": site_.slug if site_ else "",
        "reason": "technical_failure",
        "phone": "06 12 34 56 78",
        "language": "en",
        **changes,
    }


def test_filing_without_credentials_returns_the_tracking_number(procedure, site):
    response = APIClient().post(URL, _body(procedure, site), format="json")

    assert response.status_code == 201
    filed = SubstitutionRequest.objects.get()
    assert response.json()["tracking"] == filed.tracking
    assert response.json()["state"] == "new"
    assert filed.site == site and filed.language == "en"
    [sms] = Message.objects.filter(template_key="substitution_received")
    assert filed.tracking in sms.text


def test_a_token_changes_nothing_it_is_public(procedure, applicant):
    response = token_client(applicant.user).post(URL, _body(procedure), format="json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"document_number": "12"}, "invalid_identity"),
        ({"phone": ""}, "contact_missing"),
        ({"phone": "01 40 00 00 00"}, "invalid_phone"),
        ({"procedure": "no-such-thing"}, "invalid"),
        ({"site": "no\x00where"}, "invalid"),
        ({"language": "xx"}, "invalid"),
        ({"birth_date": "not a date"}, "invalid"),
    ],
)
def test_bad_input_is_a_clear_400_and_writes_nothing(procedure, changes, code):
    response = APIClient().post(URL, _body(procedure, **changes), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not SubstitutionRequest.objects.exists()
    assert not Message.objects.exists()


def test_filing_is_rate_limited_per_address(procedure):
    client = APIClient()
    with rates(substitution={"ip": (1, 3600)}):
        client.post(URL, _body(procedure), format="json")
        response = client.post(URL, _body(procedure, document_number="9300000009"), format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited" and response["Retry-After"]
    assert SubstitutionRequest.objects.count() == 1


def test_filing_is_rate_limited_per_identity(procedure):
    with rates(substitution={"identity": (1, 86400)}):
        APIClient().post(URL, _body(procedure), format="json")
        response = APIClient(REMOTE_ADDR="192.0.2.8").post(
            URL, _body(procedure, phone="06 99 99 99 99"), format="json"
        )

    assert response.status_code == 429
    assert SubstitutionRequest.objects.count() == 1


def test_the_status_for_the_right_pair(filed, agent):
    services.substitution_request_answer(
        actor=agent, request=filed, outcome=Outcome.REFERRED, answer="Ask the OFII."
    )

    response = APIClient().get(f"{URL}{filed.tracking.lower()}/", {"birth_date": "1991-03-04"})

    assert response.status_code == 200
    body = response.json()
    assert body["tracking"] == filed.tracking
    assert body["state"] == "answered" and body["outcome"] == "referred"
    assert body["answer"] == "Ask the OFII." and body["appointment"] is None


def test_a_wrong_pair_is_a_404_like_a_missing_number(filed):
    wrong = APIClient().get(f"{URL}{filed.tracking}/", {"birth_date": "1991-03-05"})
    missing = APIClient().get(f"{URL}SAAAAAAAAA/", {"birth_date": "1991-03-04"})
    garbage = APIClient().get(f"{URL}%00/", {"birth_date": "1991-03-04"})

    assert wrong.status_code == missing.status_code == garbage.status_code == 404
    assert wrong.json() == missing.json() == garbage.json()


def test_the_status_needs_a_birth_date(filed):
    response = APIClient().get(f"{URL}{filed.tracking}/")

    assert response.status_code == 400
    assert "birth_date" in response.json()["fields"]


def test_the_status_is_rate_limited(filed):
    client = APIClient()
    with rates(substitution_status={"ip": (1, 3600)}):
        client.get(f"{URL}SAAAAAAAAA/", {"birth_date": "1991-03-04"})
        response = client.get(f"{URL}{filed.tracking}/", {"birth_date": "1991-03-04"})

    assert response.status_code == 429
