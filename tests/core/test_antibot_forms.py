"""The forms and endpoints the proof-of-work protects (``core.antibot``):
registering, the substitution form and its API, an applicant's booking (page
and API), an applicant joining a waiting list (page and API). Without a
solution each is refused with a clear error and nothing is written; with one
(or, without JavaScript, after the wait) it goes through. Staff booking or
joining for someone by API are not asked, and an applicant's booking by API
takes exactly the queries it took without the check.

The rest of the suite runs with the check off (config/settings_test.py); these
tests turn it on with real values (``tests.helpers.antibot.enabled``)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from booking.models import Appointment
from core import antibot
from substitution.models import SubstitutionRequest
from tests import factories
from tests.api.test_hot_paths import BOOKING_QUERIES
from tests.auth import login
from tests.helpers.antibot import REQUIRED, TOO_EARLY, enabled, solution  # noqa: F401 - enabled: autouse
from tests.helpers.api_clients import token_client
from tests.substitution.conftest import form_data

pytestmark = pytest.mark.django_db


# --- Registration ------------------------------------------------------------------------

REGISTRATION = {
    "email": "awa@example.test",
    "password": "un-long-mot-de-passe-93",
    "phone": "06 12 34 56 78",
    "consent": "on",
}


def test_registration_without_a_solution_is_refused_and_creates_nothing(client):
    page = client.get(reverse("accounts:register")).content.decode()
    assert "<altcha-widget" in page and 'name="antibot_wait"' in page

    response = client.post(reverse("accounts:register"), REGISTRATION)

    assert response.status_code == 200
    assert REQUIRED in response.content.decode()
    assert not User.objects.exists()


def test_registration_with_a_solution_creates_the_account(client):
    response = client.post(reverse("accounts:register"), {**REGISTRATION, "altcha": solution()})

    assert response.status_code == 302
    assert User.objects.filter(email="awa@example.test").exists()


def test_registration_without_javascript_waits_then_goes_through(client):
    token = antibot.wait_token_create()

    early = client.post(reverse("accounts:register"), {**REGISTRATION, "antibot_wait": token})
    html = early.content.decode()
    assert TOO_EARLY in html
    assert token in html  # the same token: the wait already done counts
    assert not User.objects.exists()

    late = antibot.wait_token_create(now=time.time() - 6)
    response = client.post(reverse("accounts:register"), {**REGISTRATION, "antibot_wait": late})
    assert response.status_code == 302
    assert User.objects.count() == 1


# --- The substitution form and its API -------------------------------------------------------


def test_substitution_form_without_a_solution_is_refused_and_files_nothing(client, procedure, site):
    response = client.post(reverse("substitution:request"), form_data(procedure, site))

    assert response.status_code == 200
    assert REQUIRED in response.content.decode()
    assert not SubstitutionRequest.objects.exists()


def test_substitution_form_with_a_solution_files_the_request(client, procedure, site):
    data = {**form_data(procedure, site), "altcha": solution()}
    response = client.post(reverse("substitution:request"), data)

    assert response.status_code == 302
    assert SubstitutionRequest.objects.count() == 1


def _substitution_body(procedure) -> dict:
    return {
        "surname": "N'Diaye",
        "given_names": "Élodie",
        "birth_date": "1991-03-04",
        "nationality": "SN",
        "document_type": "agdref",
        "document_number": "9312345678",
        "procedure": procedure.slug,
        "reason": "technical_failure",
        "phone": "06 12 34 56 78",
    }


def test_substitution_api_without_a_solution_is_a_400_and_files_nothing(procedure):
    response = APIClient().post(
        "/api/v1/substitution-requests/", _substitution_body(procedure), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "proof_of_work_required"
    assert not SubstitutionRequest.objects.exists()


def test_substitution_api_with_a_solution_files_it_and_refuses_its_replay(procedure):
    header = solution()
    first = APIClient().post(
        "/api/v1/substitution-requests/",
        _substitution_body(procedure),
        format="json",
        HTTP_ALTCHA=header,
    )
    again = APIClient().post(
        "/api/v1/substitution-requests/",
        {**_substitution_body(procedure), "document_number": "9312345679"},
        format="json",
        HTTP_ALTCHA=header,
    )

    assert first.status_code == 201
    assert again.status_code == 400 and again.json()["code"] == "proof_of_work_invalid"
    assert SubstitutionRequest.objects.count() == 1


# --- Booking: the confirm page and the API ---------------------------------------------------


def test_booking_confirm_without_a_solution_books_nothing(applicant, slot):
    client = login(Client(), applicant.user)
    url = reverse("booking:confirm", args=[slot.pk])

    response = client.post(url, follow=True)

    assert REQUIRED in response.content.decode()
    assert not Appointment.objects.exists()
    assert client.post(url, {"altcha": solution()}).status_code == 302
    assert Appointment.objects.filter(applicant=applicant).count() == 1


def test_booking_confirm_sent_too_early_without_javascript_books_nothing(applicant, slot):
    client = login(Client(), applicant.user)
    token = antibot.wait_token_create()

    response = client.post(reverse("booking:confirm", args=[slot.pk]), {"antibot_wait": token})

    assert response.status_code == 200
    assert TOO_EARLY in response.content.decode()
    assert token in response.content.decode()
    assert not Appointment.objects.exists()


def test_booking_api_of_an_applicant_without_a_solution_is_a_400_and_books_nothing(
    applicant_user, slot
):
    response = token_client(applicant_user).post(
        "/api/v1/appointments/", {"slot": slot.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "proof_of_work_required"
    assert "/api/v1/challenge/" in response.json()["detail"]
    assert not Appointment.objects.exists()


def test_booking_api_of_an_applicant_with_a_solution_takes_the_same_queries(
    applicant_user, slot, django_assert_num_queries
):
    from booking import statements

    statements._ids.clear()  # the worst case, as the hot path's own test
    api = token_client(applicant_user)

    with django_assert_num_queries(BOOKING_QUERIES):
        response = api.post(
            "/api/v1/appointments/", {"slot": slot.pk}, format="json", HTTP_ALTCHA=solution()
        )

    assert response.status_code == 201


def test_staff_booking_by_api_is_not_asked_for_a_solution(agent, slot):
    person = factories.ApplicantFactory()

    response = token_client(agent).post(
        "/api/v1/appointments/", {"slot": slot.pk, "applicant": person.pk}, format="json"
    )

    assert response.status_code == 201


# --- Joining a waiting list -------------------------------------------------------------


@pytest.fixture
def listed(site):
    from booking.models import AllocationMode, AllocationPolicy

    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


def test_joining_a_list_on_the_page_without_a_solution_joins_nothing(applicant, site, listed):
    from allocation.models import WaitlistEntry

    client = login(Client(), applicant.user)
    url = reverse("allocation:join", args=[listed.slug])

    response = client.post(url, {"sites": [site.pk]})

    assert response.status_code == 200
    assert REQUIRED in response.content.decode()
    assert not WaitlistEntry.objects.exists()
    assert client.post(url, {"sites": [site.pk], "altcha": solution()}).status_code == 302
    assert WaitlistEntry.objects.filter(applicant=applicant).count() == 1


def test_joining_a_list_without_javascript_waits_then_goes_through(applicant, site, listed):
    """The join form carries a wait token for a browser without JavaScript:
    sent too early it joins nothing and keeps the token, sent after the wait
    it joins."""
    from allocation.models import WaitlistEntry

    client = login(Client(), applicant.user)
    url = reverse("allocation:join", args=[listed.slug])
    assert 'name="antibot_wait"' in client.get(url).content.decode()
    token = antibot.wait_token_create()

    early = client.post(url, {"sites": [site.pk], "antibot_wait": token})
    assert TOO_EARLY in early.content.decode()
    assert token in early.content.decode()
    assert not WaitlistEntry.objects.exists()

    late = antibot.wait_token_create(now=time.time() - 6)
    assert client.post(url, {"sites": [site.pk], "antibot_wait": late}).status_code == 302
    assert WaitlistEntry.objects.filter(applicant=applicant).count() == 1


def test_joining_a_list_by_api_without_a_solution_is_a_400_and_joins_nothing(
    applicant_user, site, listed
):
    from allocation.models import WaitlistEntry

    api = token_client(applicant_user)
    body = {"procedure": listed.slug, "sites": [site.slug]}

    response = api.post("/api/v1/waitlist/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "proof_of_work_required"
    assert not WaitlistEntry.objects.exists()
    response = api.post("/api/v1/waitlist/", body, format="json", HTTP_ALTCHA=solution())
    assert response.status_code == 201, response.content
    assert WaitlistEntry.objects.count() == 1


def test_staff_joining_someone_by_api_is_not_asked_for_a_solution(agent, site, listed):
    person = factories.ApplicantFactory()

    response = token_client(agent).post(
        "/api/v1/waitlist/",
        {"procedure": listed.slug, "sites": [site.slug], "applicant": person.pk},
        format="json",
    )

    assert response.status_code == 201, response.content
