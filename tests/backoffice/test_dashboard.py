"""The dashboard: each figure on a small hand-made world, the scope of an
agent (their sites only, 404 for another's), the CSV, and the query bound."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from backoffice.dashboard import (
    ScopeNotFound,
    dashboard_build,
    dashboard_scope,
    dashboard_weeks_refresh,
    monday,
    period_weeks,
)
from booking.models import AppointmentStatus
from tests import factories
from tests.auth import login
from tests.helpers.dashboard import appointment_at, at, dashboard_world, slot_at

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["live", "kept"])
def world(request, agent, site, procedure):
    """The world, its past weeks computed live (nothing kept yet) or read from
    the table the hourly task fills: every figure must be the same."""
    built = dashboard_world(agent=agent, site=site, procedure=procedure)
    if request.param == "kept":
        dashboard_weeks_refresh(period_weeks(period="past", weeks=26, today=timezone.localdate()))
    return built


def _week(dashboard, week):
    return next(row for row in dashboard.weekly if row.week == week)


def test_each_weekly_figure_is_computed_exactly(world):
    dashboard = dashboard_build(dashboard_scope(user=world.agent, weeks=2))

    past = _week(dashboard, world.last_week).values
    assert past["capacity"] == 6
    assert past["booked"] == 3
    assert past["fill_rate"] == 0.5
    assert past["unused"] == 3  # 1 seat of the first slot, 2 of the second
    assert past["past_appointments"] == 3
    assert past["no_shows"] == 1
    assert past["no_show_rate"] == 0.3333
    assert past["cancelled_by_person"] == 1
    assert past["cancelled_by_staff"] == 1
    assert past["median_days_to_booking"] == 7.0  # the median of 4 and 10
    assert past["waits_measured"] == 2
    assert past["sms_sent"] == 2  # the held appointment's and the cancelled one's
    assert past["emails_sent"] == 1
    assert past["alerts"] == 1

    coming = _week(dashboard, world.next_week).values
    assert coming["capacity"] == 3
    assert coming["booked"] == 1
    assert coming["fill_rate"] == 0.3333
    assert coming["unused"] == 0  # not past yet
    assert coming["no_show_rate"] is None  # nothing past
    assert coming["median_days_to_booking"] == 1.5
    assert coming["alerts"] == 1


def test_the_totals_are_grouped_not_summed(world, supervisor):
    dashboard = dashboard_build(dashboard_scope(user=supervisor, weeks=2))

    past = _week(dashboard, world.last_week).values
    assert past["capacity"] == 11  # A's 6 and B's 5
    assert past["no_shows"] == 2
    assert past["no_show_rate"] == 0.5  # 2 of 4, not the mean of A's and B's rates
    assert dashboard.total.values["capacity"] == 14
    assert dashboard.total.values["median_days_to_booking"] == 4.0  # median of 1.5, 4, 10
    assert dashboard.total.values["alerts"] == 2  # each alert once
    pairs = {(row.site.slug, row.procedure.pk): row.values for row in dashboard.pairs}
    assert pairs[(world.site.slug, world.procedure.pk)]["capacity"] == 9
    assert pairs[("other", world.procedure.pk)]["booked"] == 5


def test_substitution_requests_open_today(world, supervisor):
    dashboard = dashboard_build(dashboard_scope(user=supervisor))

    current = {
        (row.site.slug if row.site else None): row.values["substitution_open"]
        for row in dashboard.current
    }
    assert current == {
        world.site.slug: 1,
        "other": 1,
        None: 1,  # wishes no site
    }
    assert dashboard.current_total.values["substitution_open"] == 3


def test_an_agent_sees_only_their_sites(world):
    dashboard = dashboard_build(dashboard_scope(user=world.agent, weeks=2))

    assert [row.site for row in dashboard.pairs] == [world.site]
    assert {row.site for row in dashboard.current} == {world.site, None}
    with pytest.raises(ScopeNotFound):
        dashboard_scope(user=world.agent, site="other")
    with pytest.raises(ScopeNotFound):
        dashboard_scope(user=world.agent, site="nowhere")


def test_a_site_filter_keeps_that_site(world, supervisor):
    dashboard = dashboard_build(dashboard_scope(user=supervisor, site="other", weeks=2))

    assert _week(dashboard, world.last_week).values["capacity"] == 5
    assert dashboard.current_total.values["substitution_open"] == 1  # not the siteless one


def test_past_and_coming_periods(world):
    past = dashboard_scope(user=world.agent, period="past", weeks=3)
    coming = dashboard_scope(user=world.agent, period="coming", weeks=3)

    this_week = monday(timezone.localdate())
    assert past.weeks == tuple(this_week - timedelta(weeks=n) for n in (3, 2, 1))
    assert coming.weeks == tuple(this_week + timedelta(weeks=n) for n in (0, 1, 2))


# --- The page and its CSV ------------------------------------------------------------


def test_the_page_shows_the_figures_with_charts_and_tables(client, world):
    login(client, world.agent)

    with translation.override("fr"):
        response = client.get(reverse("agent:dashboard"), HTTP_ACCEPT_LANGUAGE="fr")
        title = gettext("Seats per week")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="guichet-chart"') == 6
    assert 'role="img"' in page
    assert title in page
    assert world.other_site.name not in page
    assert response.context["dashboard"].total.values["capacity"] == 9


def test_the_page_answers_404_for_a_site_not_the_agents(client, world):
    login(client, world.agent)

    assert client.get(reverse("agent:dashboard"), {"site": "other"}).status_code == 404
    assert client.get(reverse("agent:dashboard"), {"site": "nowhere"}).status_code == 404
    csv_url = reverse("agent:dashboard_csv", args=["sites"])
    assert client.get(csv_url, {"site": "other"}).status_code == 404
    assert client.get(reverse("agent:dashboard"), {"site": world.site.slug}).status_code == 200


def test_a_bad_period_is_a_form_error(client, world):
    login(client, world.agent)

    response = client.get(reverse("agent:dashboard"), {"period": "forever"})

    assert response.status_code == 400
    assert response.context["form"].errors["period"]


def test_applicants_and_mediators_are_refused(client, applicant, mediator):
    login(client, applicant.user)
    assert client.get(reverse("agent:dashboard")).status_code == 403
    login(client, mediator)
    assert client.get(reverse("agent:dashboard_csv", args=["weekly"])).status_code == 403


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_is_formula_safe(client, world, supervisor):
    login(client, supervisor)

    response = client.get(reverse("agent:dashboard_csv", args=["sites"]), {"weeks": 8})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    names = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in names
    assert world.other_site.name not in names


def test_every_table_downloads(client, world):
    login(client, world.agent)

    for table in ("weekly", "sites", "detail", "current", "seats", "rates", "messages"):
        response = client.get(reverse("agent:dashboard_csv", args=[table]))
        assert response.status_code == 200, table
        rows = _csv(response)
        assert len(rows) > 1
        assert all("other" not in row[0] for row in rows[1:])
    assert client.get(reverse("agent:dashboard_csv", args=["secrets"])).status_code == 404


def test_the_agents_csv_holds_nothing_of_another_site(client, world):
    login(client, world.agent)

    rows = _csv(client.get(reverse("agent:dashboard_csv", args=["detail"])))

    assert {row[0] for row in rows[1:]} == {world.site.slug}


def test_the_page_queries_are_bounded_whatever_the_data(client, world, supervisor):
    login(client, supervisor)
    url = reverse("agent:dashboard")
    client.get(url)  # warm up the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    # Ten more sites, with slots and appointments.
    for _n in range(10):
        site = factories.SiteFactory()
        for day in range(3):
            slot = slot_at(site, world.procedure, at(world.last_week + timedelta(days=day)), 3, 1)
            appointment_at(slot, AppointmentStatus.DONE, created_at=at(world.last_week))
    csv_url = reverse("agent:dashboard_csv", args=["detail"])
    with CaptureQueriesContext(connection) as few_csv:
        assert client.get(csv_url).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as many_csv:
        assert client.get(csv_url).status_code == 200

    assert len(many) == len(few)
    assert len(many_csv) == len(few_csv) <= len(few)
    # Session, user, device, the sites, the procedures, one query per source.
    assert len(few) <= 12, [q["sql"][:80] for q in few]
