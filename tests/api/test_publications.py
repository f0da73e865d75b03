from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from booking.models import Pool, Publication, Slot
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.publishing import api_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/agent/publications/"


def test_agent_publishes_slots_for_their_site(agent_api, agent, site, procedure):
    response = agent_api.post(URL, api_body(site, procedure), format="json")

    assert response.status_code == 201
    # 7 days x 2 ranges x 3 slots of 20 minutes x 2 pools (public, mediation)
    assert response.json()["created"] == 84
    assert response.json()["skipped"] == 0
    publication = Publication.objects.get(pk=response.json()["publication"])
    assert publication.created_by == agent
    assert Slot.objects.filter(site=site, procedure=procedure).count() == 84
    public = Slot.objects.filter(site=site, pool=Pool.PUBLIC)
    assert set(public.values_list("capacity", flat=True)) == {2}
    assert set(Slot.objects.filter(pool=Pool.MEDIATION).values_list("capacity", flat=True)) == {1}


def test_republishing_the_same_window_creates_nothing(agent_api, site, procedure):
    agent_api.post(URL, api_body(site, procedure), format="json")

    response = agent_api.post(URL, api_body(site, procedure), format="json")

    assert response.status_code == 201
    assert (response.json()["created"], response.json()["skipped"]) == (0, 84)
    assert Slot.objects.count() == 84


def test_publication_answers_when_the_slots_become_visible(agent_api, site, procedure):
    visible_at = (timezone.localtime() + timedelta(hours=5)).replace(microsecond=0)

    response = agent_api.post(
        URL, api_body(site, procedure, visible_at=visible_at.isoformat()), format="json"
    )

    assert response.status_code == 201
    assert response.json()["visible_at"] == visible_at.isoformat()
    assert response.json()["visible_at"][-6:] in ("+01:00", "+02:00")
    assert set(Slot.objects.values_list("published_at", flat=True)) == {visible_at}


def test_publication_visible_until_draws_a_moment_in_the_window(agent_api, site, procedure):
    start = timezone.now() + timedelta(hours=1)
    end = start + timedelta(hours=2)

    response = agent_api.post(
        URL,
        api_body(site, procedure, visible_at=start.isoformat(), visible_until=end.isoformat()),
        format="json",
    )

    assert response.status_code == 201
    published_at = Slot.objects.values_list("published_at", flat=True).first()
    assert start.replace(microsecond=0) <= published_at <= end
    # The moment drawn is not told before it passes: the window only.
    assert response.json()["visible_at"] is None
    window = [datetime.fromisoformat(moment) for moment in response.json()["visible_window"]]
    assert window == [start, end]


def test_agent_of_another_site_gets_not_allowed(other_agent_api, site, procedure):
    response = other_agent_api.post(URL, api_body(site, procedure), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert not Slot.objects.exists()
    assert not Publication.objects.exists()


@pytest.mark.parametrize("persona", ["applicant_user", "mediator"])
def test_applicants_and_mediators_cannot_publish(request, persona, site, procedure):
    client = token_client(request.getfixturevalue(persona))

    response = client.post(URL, api_body(site, procedure), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "agents_only"
    assert not Slot.objects.exists()


def test_supervisor_publishes_for_any_site(supervisor, site, procedure):
    response = token_client(supervisor).post(URL, api_body(site, procedure), format="json")

    assert response.status_code == 201


def test_end_before_start_gets_invalid_publication(agent_api, site, procedure):
    tomorrow = timezone.localdate() + timedelta(days=1)
    body = api_body(
        site,
        procedure,
        date_from=(tomorrow + timedelta(days=2)).isoformat(),
        date_to=tomorrow.isoformat(),
    )

    response = agent_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_publication"
    assert not Publication.objects.exists()


def test_overlapping_ranges_get_invalid_publication(agent_api, site, procedure):
    body = api_body(
        site,
        procedure,
        opening_ranges=[{"start": "09:00", "end": "11:00"}, {"start": "10:00", "end": "12:00"}],
    )

    response = agent_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_publication"


def test_weekday_out_of_range_gets_invalid_publication(agent_api, site, procedure):
    response = agent_api.post(URL, api_body(site, procedure, weekdays=[7]), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_publication"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weekdays", ["monday"]),
        ("opening_ranges", [{"start": "9h", "end": "12:00"}]),
        ("date_from", "tomorrow"),
        ("counters", "three"),
        ("visible_at", "soon"),
    ],
)
def test_malformed_field_is_invalid(agent_api, site, procedure, field, value):
    response = agent_api.post(URL, api_body(site, procedure, **{field: value}), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


def test_missing_counters_is_invalid(agent_api, site, procedure):
    body = api_body(site, procedure)
    del body["counters"]

    response = agent_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "counters" in response.json()["fields"]


def test_unknown_site_is_invalid(agent_api, procedure):
    body = api_body(factories.SiteFactory.build(slug="atlantis"), procedure)

    response = agent_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "site" in response.json()["fields"]
