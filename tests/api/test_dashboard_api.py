"""``GET /api/v1/agent/dashboard/``: the figures as JSON and CSV, an agent's
sites only (another's is a 404 like a missing one), errors as JSON."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import AppointmentStatus
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.dashboard import appointment_at, at, dashboard_world, slot_at

pytestmark = pytest.mark.django_db
URL = "/api/v1/agent/dashboard/"


@pytest.fixture
def world(agent, site, procedure):
    return dashboard_world(agent=agent, site=site, procedure=procedure)


def _week(body, week):
    return next(row for row in body["weekly"] if row["week"] == week.isoformat())


def test_the_figures_as_json(agent_api, world):
    response = agent_api.get(URL, {"weeks": 2})

    assert response.status_code == 200
    body = response.json()
    assert len(body["weeks"]) == 4
    past = _week(body, world.last_week)["values"]
    assert past["capacity"] == 6
    assert past["booked"] == 3
    assert past["fill_rate"] == 0.5
    assert past["unused"] == 3
    assert past["no_show_rate"] == 0.3333
    assert past["median_days_to_booking"] == 7.0
    assert past["sms_sent"] == 2
    assert past["emails_sent"] == 1
    assert [row["site"] for row in body["sites"]] == [world.site.slug]
    assert {row["site"] for row in body["detail"]} == {world.site.slug}
    assert [f["key"] for f in body["current_figures"]] == [
        "substitution_open",
        "injunctions_open",
        "injunctions_at_risk",
        "injunctions_overdue",
        "waiting_list",
    ]


def test_a_site_not_the_agents_answers_404_like_a_missing_one(agent_api, world):
    theirs = agent_api.get(URL, {"site": "other"})
    missing = agent_api.get(URL, {"site": "nowhere"})

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert theirs.json()["code"] == "site_not_found"
    assert agent_api.get(URL, {"site": "other", "format": "csv"}).status_code == 404


def test_a_supervisor_filters_any_site(world, supervisor):
    response = token_client(supervisor).get(URL, {"site": "other", "weeks": 2})

    assert response.status_code == 200
    assert _week(response.json(), world.last_week)["values"]["capacity"] == 5


def test_bad_input_is_a_400(agent_api, world):
    malformed = ({"weeks": 0}, {"weeks": 27}, {"weeks": "x"}, {"period": "forever"})
    for query in (*malformed, {"period": ""}, {"weeks": ""}, {"table": ""}, {"format": ""}):
        response = agent_api.get(URL, query)
        assert response.status_code == 400, query
        assert response.json()["code"] == "invalid"
    assert agent_api.get(URL, {"procedure": "nothing"}).json()["code"] == "procedure_not_found"


def test_options_asked_as_csv_describes_the_route_as_json(agent_api, world):
    response = agent_api.options(URL + "?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"]


def test_applicants_and_mediators_are_refused(applicant_api, mediator_api, anonymous_api):
    assert applicant_api.get(URL).status_code == 403
    assert mediator_api.get(URL).json()["code"] == "agents_only"
    assert anonymous_api.get(URL).status_code == 401


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_figures_as_csv_by_format_or_accept(agent_api, world):
    by_format = agent_api.get(URL, {"format": "csv", "table": "sites"})
    by_accept = agent_api.get(URL, {"table": "sites"}, HTTP_ACCEPT="text/csv")

    for response in (by_format, by_accept):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
    rows = _rows(by_format)
    assert rows[0][:5] == ["site", "site_name", "procedure", "procedure_name", "week"]
    assert rows[1][0] == world.site.slug
    assert rows[1][rows[0].index("capacity")] == "9"
    assert _rows(by_accept) == rows


def test_the_csv_is_formula_safe(world, supervisor):
    response = token_client(supervisor).get(URL, {"format": "csv", "table": "detail"})

    names = {row[1] for row in _rows(response)[1:]}
    assert '\'=HYPERLINK("http://evil")' in names


def test_errors_stay_json_when_csv_is_asked(agent_api, world):
    response = agent_api.get(URL, {"weeks": 99}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_the_api_queries_are_bounded_whatever_the_data(world, supervisor):
    api = token_client(supervisor)
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL).status_code == 200
    for _n in range(5):
        site = factories.SiteFactory()
        slot = slot_at(site, world.procedure, at(world.last_week + timedelta(days=1)), 3, 1)
        appointment_at(slot, AppointmentStatus.DONE, created_at=at(world.last_week))
    with CaptureQueriesContext(connection) as many:
        assert api.get(URL).status_code == 200
        assert api.get(URL, {"format": "csv"}).status_code == 200

    assert len(many) == 2 * len(few)
    assert len(few) <= 10, [q["sql"][:80] for q in few]
