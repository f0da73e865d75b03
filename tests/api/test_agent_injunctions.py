"""``/api/v1/agent/injunctions/``: court-ordered convocations through the API,
with the pages' rules (agents: their sites; another site's order is a 404)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.models import Appointment, Injunction
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.injunctions import record, slot_on, today

pytestmark = pytest.mark.django_db

URL = "/api/v1/agent/injunctions/"


@pytest.fixture
def walk_in(db):
    return factories.ApplicantFactory(user=None, email="awa@example.test")


@pytest.fixture
def order(agent, walk_in, procedure, site):
    return record(agent, walk_in, procedure, site, deadline=today() + timedelta(days=5))


def _body(applicant, procedure, site, **changes) -> dict:
    return {
        "applicant": applicant.pk,
        "court": "Tribunal administratif de Cergy-Pontoise",
        "case_number": "2611111",
        "ordered_on": (today() - timedelta(days=1)).isoformat(),
        "deadline": (today() + timedelta(days=15)).isoformat(),
        "procedure": procedure.slug,
        "site": site.slug,
        **changes,
    }


def test_an_agent_records_an_order(agent_api, walk_in, procedure, site):
    response = agent_api.post(URL, _body(walk_in, procedure, site), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "open"
    assert body["applicant"]["id"] == walk_in.pk
    assert body["appointment"] is None
    assert Injunction.objects.get().pk == body["id"]


def test_bad_input_is_a_400_with_its_code_and_nothing_is_written(
    agent_api, walk_in, procedure, site
):
    before = _body(
        walk_in,
        procedure,
        site,
        deadline=(today() - timedelta(days=5)).isoformat(),
    )

    refused = agent_api.post(URL, before, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    malformed = agent_api.post(URL, {"applicant": "x"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_injunction"
    assert malformed.status_code == 400
    assert not Injunction.objects.exists()


def test_an_unknown_person_is_a_404(agent_api, walk_in, procedure, site):
    response = agent_api.post(
        URL, {**_body(walk_in, procedure, site), "applicant": 10**9}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "applicant_not_found"


def test_a_site_not_theirs_is_refused(other_agent_api, walk_in, procedure, site):
    response = other_agent_api.post(URL, _body(walk_in, procedure, site), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_injunction"
    assert not Injunction.objects.exists()


def test_the_list_is_paginated_and_filtered(agent_api, agent, order, procedure, site):
    overdue = record(
        agent,
        factories.ApplicantFactory(user=None),
        procedure,
        site,
        ordered_on=today() - timedelta(days=30),
        deadline=today() - timedelta(days=2),
    )

    every = agent_api.get(URL, {"page_size": 1})
    only_overdue = agent_api.get(URL, {"state": "overdue"})
    elsewhere = agent_api.get(URL, {"site": "not-mine"})
    bad = agent_api.get(URL, {"state": "nonsense"})
    blank = agent_api.get(URL, {"state": ""})

    assert every.status_code == 200
    assert len(every.json()["results"]) == 1
    assert every.json()["next"]
    assert [row["id"] for row in only_overdue.json()["results"]] == [overdue.pk]
    assert only_overdue.json()["results"][0]["state"] == "overdue"
    assert elsewhere.json()["results"] == []
    assert bad.status_code == 400
    # ``?state=`` is a malformed filter, not a missing one.
    assert blank.status_code == 400
    assert list(blank.json()["fields"]) == ["state"]


def test_convoking_books_before_the_deadline(agent_api, order, site, procedure):
    slot = slot_on(site, procedure, today() + timedelta(days=3))

    response = agent_api.post(f"{URL}{order.pk}/convocation/", {"slot": slot.pk}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "in_time"
    assert body["appointment"]["reference"] == Appointment.objects.get().reference
    assert body["appointment"]["pool"] == "priority"


def test_a_time_after_the_deadline_is_a_409(agent_api, order, site, procedure):
    late = slot_on(site, procedure, today() + timedelta(days=8))

    response = agent_api.post(f"{URL}{order.pk}/convocation/", {"slot": late.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "slot_after_deadline"
    assert not Appointment.objects.exists()


def test_another_sites_order_is_a_404_to_read_and_to_act(
    other_agent_api, agent_api, order, site, procedure
):
    slot = slot_on(site, procedure, today() + timedelta(days=3))

    read = other_agent_api.get(f"{URL}{order.pk}/")
    acted = other_agent_api.post(f"{URL}{order.pk}/convocation/", {"slot": slot.pk}, format="json")
    listed = other_agent_api.get(URL)
    missing = agent_api.get(f"{URL}{10**9}/")

    assert read.status_code == 404
    assert read.json()["code"] == "injunction_not_found"
    assert acted.status_code == 404
    assert listed.json()["results"] == []
    assert missing.status_code == 404
    assert missing.json()["code"] == read.json()["code"]
    assert not Appointment.objects.exists()


def test_applicants_and_mediators_are_refused(applicant_api, mediator_api, anonymous_api):
    assert applicant_api.get(URL).status_code == 403
    assert mediator_api.get(URL).status_code == 403
    assert anonymous_api.get(URL).status_code == 401


def test_a_supervisor_sees_every_site(supervisor, order):
    response = token_client(supervisor).get(f"{URL}{order.pk}/")

    assert response.status_code == 200
    assert response.json()["case_number"] == order.case_number


def test_malformed_ids_and_slugs_are_client_errors(agent_api, walk_in, procedure, site):
    nul = agent_api.post(
        URL, {**_body(walk_in, procedure, site), "procedure": "\x00"}, format="json"
    )
    unknown = agent_api.post(
        URL, {**_body(walk_in, procedure, site), "site": "nowhere"}, format="json"
    )
    huge = agent_api.get(f"{URL}{10**30}/")

    assert nul.status_code == 400
    assert unknown.status_code == 400
    assert huge.status_code == 404
    assert not Injunction.objects.exists()
