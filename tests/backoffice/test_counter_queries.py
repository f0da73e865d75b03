"""Query bounds of the counter's routes (pages and API), with several rows of
what an N+1 would multiply: appointments of the day at the site, of other
procedures, booked through an access point. The bounds are what the code does
today; the comments say what the queries are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import AppointmentStatus
from booking.services import appointment_check_in
from tests import factories
from tests.auth import login
from tests.helpers.api_clients import token_client
from tests.helpers.counter import appointment_at

pytestmark = pytest.mark.django_db


def _this_hour():
    return timezone.localtime().replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def busy_day(noon, site):
    """Ten appointments at the site today, one checked in, one over (at midnight:
    the clock at noon)."""
    rows = [
        appointment_at(_this_hour(), site=site, procedure=factories.ProcedureFactory())
        for _ in range(8)
    ]
    rows.append(appointment_at(_this_hour().replace(hour=0), site=site))
    rows.append(appointment_at(_this_hour() + timedelta(minutes=20), site=site))
    return rows


def test_counter_routes_take_a_bounded_number_of_queries(
    web, agent, supervisor, site, busy_day, django_assert_max_num_queries
):
    page = login(web, agent)
    first, second, third, *_ = busy_day
    appointment_check_in(
        actor=agent, reference=second.reference, document_number=second.document_number
    )
    # A supervisor's override: session (3); rate limit; as a check-in. Before the day
    # is closed: closing marks the slots already over (this hour's, past hh:20) as
    # no-shows, and a no-show is not checked in.
    supervising = login(Client(), supervisor)
    override = {"override-reference": third.reference, "override-reason": "Titre renouvelé"}
    with django_assert_max_num_queries(10):
        response = supervising.post(reverse("agent:checkin_override"), override)
    assert response.status_code == 302
    day = {"site": site.slug, "date": timezone.localdate().isoformat()}
    asks = [
        # Staff session (3, with the OTP device); the sites; the day's rows (one join).
        ("get", reverse("agent:day"), {}, 6, 200),
        ("get", reverse("agent:day"), {**day, "status": "booked"}, 6, 200),
        # Session (3); nothing else.
        ("get", reverse("agent:checkin"), {}, 3, 200),
        # Session (3); rate limit (cache); in a transaction: the row locked, read with
        # its slot, site, procedure, applicant; works_at; the UPDATE; the audit row.
        (
            "post",
            reverse("agent:checkin"),
            {"reference": first.reference, "document_number": first.document_number},
            10,
            302,
        ),
        ("post", reverse("agent:done", args=[second.reference]), {}, 10, 302),
        # Session (3); the site; how many are due.
        ("get", reverse("agent:close_day"), day, 5, 200),
        # Session (3); the site; in a transaction: works_at, the UPDATE … RETURNING,
        # the no-shows counted per person (blocks), their INSERT, the audit row.
        ("post", reverse("agent:close_day"), day, 10, 302),
    ]
    for method, url, data, most, status in asks:
        with django_assert_max_num_queries(most):
            assert getattr(page, method)(url, data).status_code == status, url


def test_counter_api_takes_a_bounded_number_of_queries(
    agent, site, busy_day, django_assert_max_num_queries
):
    api = token_client(agent)
    first, second, *_ = busy_day
    appointment_check_in(
        actor=agent, reference=second.reference, document_number=second.document_number
    )
    asks = [
        # The token with its user; the site; the page of rows (one join).
        ("get", "/api/v1/agent/day/", {"site": site.slug}, 3, 200),
        # Token (2); in a transaction: lock, read, works_at, UPDATE, audit; the answer.
        (
            "post",
            "/api/v1/agent/checkins/",
            {"reference": first.reference, "document_number": first.document_number},
            9,
            200,
        ),
        ("post", f"/api/v1/agent/appointments/{second.reference}/done/", {}, 9, 200),
        (
            "post",
            "/api/v1/agent/no-shows/",
            {"site": site.slug, "date": timezone.localdate().isoformat()},
            8,
            200,
        ),
    ]
    for method, url, data, most, status in asks:
        with django_assert_max_num_queries(most):
            response = getattr(api, method)(url, data, format="json" if method == "post" else None)
            assert response.status_code == status, (url, response.content)
    assert busy_day[-2].__class__.objects.get(pk=busy_day[-2].pk).status == (
        AppointmentStatus.NO_SHOW
    )
