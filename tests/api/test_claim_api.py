"""``POST /api/v1/identity/claim/``: an applicant's account takes over a
walk-in's file through the API, by the same service and rules as the page."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts.models import IdentityClaimAttempt
from booking.models import Applicant
from booking.services import appointment_book
from tests import factories
from tests.helpers.api_clients import token_client

URL = "/api/v1/identity/claim/"
BIRTH_DATE = date(1979, 6, 30)
DOCUMENT = "9376543210"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def walk_in(db):
    point = factories.AccessPointFactory()
    return factories.ApplicantFactory(
        user=None, access_point=point, birth_date=BIRTH_DATE, document_number=DOCUMENT
    )


@pytest.fixture
def booked(walk_in, slot):
    mediator = factories.MediatorFactory(access_point=walk_in.access_point)
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    return appointment_book(actor=mediator, applicant=walk_in, slot_id=slot.pk)


def _proofs(booked, **changes) -> dict:
    return {
        "reference": booked.reference,
        "birth_date": BIRTH_DATE.isoformat(),
        "document_number": "93 76 543 210",
        **changes,
    }


def test_a_new_account_takes_over_the_file_with_its_appointments(booked, walk_in):
    newcomer = factories.UserFactory()
    api = token_client(newcomer)

    response = api.post(URL, _proofs(booked), format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["identity"]["document_number"] == DOCUMENT
    assert body["identity"]["birth_date"] == BIRTH_DATE.isoformat()
    assert [a["reference"] for a in body["appointments"]] == [booked.reference]
    assert body["appointments"][0]["channel"] == booked.channel
    walk_in.refresh_from_db()
    assert walk_in.user == newcomer
    # The account's own list now holds it.
    listed = api.get("/api/v1/appointments/").json()["results"]
    assert [a["reference"] for a in listed] == [booked.reference]


@pytest.mark.parametrize(
    "changes",
    [
        {"reference": "ZZZZ2222"},
        {"birth_date": "1979-07-01"},
        {"document_number": "9376543211"},
        {"reference": "ZZZZ2222", "birth_date": "2000-01-01", "document_number": "123456"},
    ],
    ids=["reference", "date of birth", "document", "all three"],
)
def test_every_wrong_combination_is_the_same_404(booked, walk_in, changes):
    newcomer = factories.UserFactory()

    response = token_client(newcomer).post(URL, _proofs(booked, **changes), format="json")

    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == "identity_claim_refused" and body["detail"]
    assert IdentityClaimAttempt.objects.get().account == newcomer
    walk_in.refresh_from_db()
    assert walk_in.user is None


def test_the_refusals_are_identical_whatever_was_wrong(booked, other_applicant, slot):
    theirs = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )
    api = token_client(factories.UserFactory())
    bodies = [
        api.post(URL, _proofs(booked, reference="ZZZZ2222"), format="json").json(),
        api.post(URL, _proofs(booked, birth_date="1979-07-01"), format="json").json(),
        api.post(
            URL,
            {
                "reference": theirs.reference,
                "birth_date": other_applicant.birth_date.isoformat(),
                "document_number": other_applicant.document_number,
            },
            format="json",
        ).json(),
    ]

    assert bodies[0] == bodies[1] == bodies[2]


def test_a_file_that_has_an_account_is_refused(booked, walk_in):
    first = factories.UserFactory()
    assert token_client(first).post(URL, _proofs(booked), format="json").status_code == 200

    response = token_client(factories.UserFactory()).post(URL, _proofs(booked), format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "identity_claim_refused"
    walk_in.refresh_from_db()
    assert walk_in.user == first


def test_an_unverified_account_is_refused(booked, walk_in):
    response = token_client(factories.UnverifiedUserFactory()).post(
        URL, _proofs(booked), format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "account_not_verified"
    assert not IdentityClaimAttempt.objects.exists()


def test_an_account_with_an_identity_gets_409(booked, applicant_api):
    response = applicant_api.post(URL, _proofs(booked), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "identity_already_on_file"


@pytest.mark.parametrize("role", ["mediator", "agent", "supervisor"])
def test_staff_get_403(booked, walk_in, role):
    staff = factories.UserFactory(role=role)

    response = token_client(staff).post(URL, _proofs(booked), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "applicants_only"
    walk_in.refresh_from_db()
    assert walk_in.user is None


def test_anonymous_gets_401(booked, anonymous_api):
    assert anonymous_api.post(URL, _proofs(booked), format="json").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reference": "A" * 17, "birth_date": "1979-06-30", "document_number": DOCUMENT},
        {"reference": "ABCD2345", "birth_date": "30/06/1979", "document_number": DOCUMENT},
        {"reference": "ABCD2345", "birth_date": "1979-06-30", "document_number": "9" * 21},
        {"reference": "AB\x00", "birth_date": "1979-06-30", "document_number": DOCUMENT},
    ],
    ids=["empty", "long reference", "french date", "long document", "NUL byte"],
)
def test_malformed_bodies_are_400_and_write_nothing(booked, body):
    response = token_client(factories.UserFactory()).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not IdentityClaimAttempt.objects.exists()


def test_tries_are_rate_limited(booked, walk_in):
    api = token_client(factories.UserFactory())
    with override_settings(RATELIMITS={"identity_claim": {"account": (1, 3600)}}):
        assert (
            api.post(URL, _proofs(booked, reference="ZZZZ2222"), format="json").status_code == 404
        )
        limited = api.post(URL, _proofs(booked), format="json")

    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1
    walk_in.refresh_from_db()
    assert walk_in.user is None
    assert Applicant.objects.filter(user__isnull=False).count() == 0
