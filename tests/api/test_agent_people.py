"""``GET /api/v1/agent/people/``: an agent finds the id of a person with an
appointment at their sites (to book for them, to record a court order), by
reference, by document number and date of birth, or by surname and date of
birth. A person of another site is not found, exactly like nobody. Agents and
supervisors only; counted with the search page; a page at a time."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from booking.services import appointment_book
from tests import factories
from tests.auth import login
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/agent/people/"


@pytest.fixture
def other_site():
    return factories.SiteFactory()


@pytest.fixture
def here(site, procedure, supervisor):
    """A person booked at the agent's site."""
    person = factories.ApplicantFactory(
        surname="Diallo", birth_date=date(1990, 5, 17), document_number="9312345678"
    )
    slot = factories.SlotFactory(site=site, procedure=procedure)
    appointment_book(actor=supervisor, applicant=person, slot_id=slot.pk)
    return person


@pytest.fixture
def there(other_site, procedure, supervisor):
    """A person booked only at another site."""
    person = factories.ApplicantFactory(
        surname="Koné", birth_date=date(1985, 1, 2), document_number="9387654321"
    )
    slot = factories.SlotFactory(site=other_site, procedure=procedure)
    appointment_book(actor=supervisor, applicant=person, slot_id=slot.pk)
    return person


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_an_agent_finds_a_person_by_reference(agent, here):
    reference = here.appointments.get().reference
    response = token_client(agent).get(URL, {"reference": reference.lower()})
    assert _ids(response) == [here.pk]
    row = response.json()["results"][0]
    assert row == {
        "id": here.pk,
        "surname": here.surname,
        "given_names": here.given_names,
        "birth_date": "1990-05-17",
        "nationality": here.nationality,
        "document_type": here.document_type,
        "document_number": here.document_number,
        "has_account": True,
    }


def test_an_agent_finds_a_person_by_document_number_and_birth_date(agent, here):
    api = token_client(agent)
    assert _ids(api.get(URL, {"document_number": "93 12 345 678", "birth_date": "1990-05-17"})) == [
        here.pk
    ]
    # Another date of birth: nobody.
    assert _ids(api.get(URL, {"document_number": "9312345678", "birth_date": "1990-05-18"})) == []


def test_an_agent_finds_a_person_by_surname_and_birth_date(agent, here):
    api = token_client(agent)
    assert _ids(api.get(URL, {"surname": " DIALLO ", "birth_date": "1990-05-17"})) == [here.pk]


def test_a_person_of_another_site_answers_like_nobody(agent, here, there):
    api = token_client(agent)
    reference = there.appointments.get().reference
    queries = [
        {"reference": reference},
        {"document_number": there.document_number, "birth_date": "1985-01-02"},
        {"surname": "Koné", "birth_date": "1985-01-02"},
    ]
    nobody = api.get(URL, {"surname": "Nobody", "birth_date": "1985-01-02"})
    for query in queries:
        response = api.get(URL, query)
        assert response.status_code == nobody.status_code == 200
        assert response.json() == nobody.json() == {"next": None, "previous": None, "results": []}


def test_a_supervisor_finds_anyone(supervisor, here, there):
    api = token_client(supervisor)
    assert _ids(api.get(URL, {"surname": "Kone", "birth_date": "1985-01-02"})) == [there.pk]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"surname": "Diallo"},
        {"document_number": "9312345678"},
        {"reference": ""},
        {"surname": "", "birth_date": "1990-05-17"},
        {"surname": "Diallo", "birth_date": ""},
        {"reference": "ABC", "birth_date": "1990-05-17"},
        {"reference": "not-a-reference"},
        {"surname": "Diallo", "document_number": "9312345678", "birth_date": "1990-05-17"},
        {"surname": "Diallo", "birth_date": "17/05/1990x"},
        {"surname": "道", "birth_date": "1990-05-17"},
    ],
)
def test_malformed_searches_are_refused(agent, here, query):
    response = token_client(agent).get(URL, query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "detail" in response.json()


def test_others_than_agents_are_refused(mediator, here):
    response = token_client(mediator).get(URL, {"surname": "Diallo", "birth_date": "1990-05-17"})
    assert response.status_code == 403
    assert response.json()["code"] == "agents_only"
    applicant = token_client(here.user).get(URL, {"surname": "Diallo", "birth_date": "1990-05-17"})
    assert applicant.status_code == 403


def test_anonymous_is_not_authenticated():
    from rest_framework.test import APIClient

    response = APIClient().get(URL, {"surname": "Diallo", "birth_date": "1990-05-17"})
    assert response.status_code == 401


def test_searches_are_counted_with_the_search_page(agent, here, settings):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "agent_search": {"account": (2, 3600), "ip": (100, 3600)},
    }
    api = token_client(agent)
    query = {"surname": "Diallo", "birth_date": "1990-05-17"}
    assert api.get(URL, query).status_code == 200
    page = login(Client(), agent)
    page.post(
        reverse("agent:search"),
        {"by": "name", "name-surname": "Diallo", "name-birth_date": "1990-05-17"},
    )
    refused = api.get(URL, query)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"


def test_results_come_a_page_at_a_time(supervisor, site, procedure):
    people = []
    for _ in range(3):
        person = factories.ApplicantFactory(surname="Traoré", birth_date=date(2000, 1, 1))
        slot = factories.SlotFactory(site=site, procedure=procedure)
        appointment_book(actor=supervisor, applicant=person, slot_id=slot.pk)
        people.append(person.pk)
    api = token_client(supervisor)
    first = api.get(URL, {"surname": "Traore", "birth_date": "2000-01-01", "page_size": 2})
    assert _ids(first) == people[:2]
    following = api.get(first.json()["next"])
    assert _ids(following) == people[2:]


def test_the_id_found_serves_a_court_order(agent, here, site, procedure):
    api = token_client(agent)
    found = _ids(api.get(URL, {"surname": "Diallo", "birth_date": "1990-05-17"}))
    response = api.post(
        "/api/v1/agent/injunctions/",
        {
            "applicant": found[0],
            "court": "Tribunal administratif de Paris",
            "case_number": "2401234",
            "ordered_on": "2026-11-30",
            "deadline": "2027-01-31",
            "procedure": procedure.slug,
            "site": site.slug,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["applicant"]["id"] == here.pk


def test_the_queries_are_bounded(agent, here, django_assert_max_num_queries):
    api = token_client(agent)
    reference = here.appointments.get().reference
    for query in (
        {"reference": reference},
        {"document_number": here.document_number, "birth_date": "1990-05-17"},
        {"surname": "Diallo", "birth_date": "1990-05-17"},
    ):
        # The token with its user, then the page's one read.
        with django_assert_max_num_queries(3):
            assert _ids(api.get(URL, query)) == [here.pk]
