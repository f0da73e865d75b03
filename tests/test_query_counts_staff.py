"""Query counts of the staff, second-factor and token pages.

Each page is asked twice: in the persona world (``tests/personas.py``), then
after its list has grown (more staff, tokens, locked logins, appointments). A
page whose number of queries grows with its rows has an N+1; the count must
stay the same, and under a bound that says what the page does today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import api_token_create
from booking.services import appointment_book
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db


def _agents(count: int, sites) -> None:
    for _ in range(count):
        factories.AgentFactory(sites=sites)
        factories.MediatorFactory()


def _tokens(user, count: int) -> None:
    for _ in range(count):
        api_token_create(user=user)


def _locked(count: int) -> None:
    for n in range(count):
        for address in ("192.0.2.1", "192.0.2.2"):
            AccessAttempt.objects.create(
                username=f"locked{n}-{AccessAttempt.objects.count()}@example.test",
                ip_address=address,
                user_agent="test",
                failures_since_start=10,
                attempt_time=timezone.now(),
                get_data="",
                post_data="",
                http_accept="*/*",
                path_info="/accounts/login/",
            )


def _appointments(applicant, site, count: int) -> None:
    """Past bookings of other procedures at ``site``: one active per procedure."""
    for _ in range(count):
        slot = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)


@dataclass
class Page:
    who: str  # which persona asks
    url: Callable[[dict], str]
    grow: Callable[[dict], None]
    bound: int


PAGES = {
    "staff list": Page(
        "supervisor",
        lambda w: reverse("staff:list"),
        lambda w: _agents(6, [w["site"], w["other_site"]]),
        8,
    ),
    "staff edit": Page(
        "supervisor",
        lambda w: reverse("staff:edit", args=[w["agent"].pk]),
        lambda w: w["agent"].sites.add(*[factories.SiteFactory() for _ in range(5)]),
        10,
    ),
    "staff create": Page(
        "supervisor",
        lambda w: reverse("staff:create"),
        lambda w: (
            [factories.SiteFactory() for _ in range(5)]
            and [factories.AccessPointFactory() for _ in range(5)]
        ),
        7,
    ),
    "locked logins": Page(
        "supervisor", lambda w: reverse("accounts:lockouts"), lambda w: _locked(6), 6
    ),
    "my tokens (page)": Page(
        "applicant",
        lambda w: reverse("accounts:tokens"),
        lambda w: _tokens(w["applicant"].user, 6),
        5,
    ),
    "my account (supervisor)": Page(
        "supervisor",
        lambda w: reverse("accounts:me"),
        lambda w: _tokens(w["supervisor"], 6),
        10,
    ),
    "agent identity correction": Page(
        "agent",
        lambda w: reverse("agent:identity_correct", args=[w["applicant"].pk]),
        lambda w: _appointments(w["applicant"], w["site"], 5),
        8,
    ),
    "backup codes": Page(
        "agent", lambda w: reverse("accounts:otp_backup_codes"), lambda w: None, 7
    ),
}


@pytest.fixture
def world(persona_world) -> dict:
    """The personas of ``tests/personas.py``, the applicant with one more appointment."""
    applicant, site = persona_world.people["applicant"], persona_world.sites["site"]
    _appointments(applicant, site, 1)
    return {
        "applicant": applicant,
        "site": site,
        "other_site": persona_world.sites["other_site"],
        "agent": persona_world.users["agent"],
        "supervisor": persona_world.users["supervisor"],
    }


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_staff_page_queries_do_not_grow_with_its_rows(name, world):
    page = PAGES[name]
    client = login(
        Client(), world[page.who] if page.who != "applicant" else world["applicant"].user
    )
    url = page.url(world)
    _count(client, url)  # warm: session, content types, translations

    before = _count(client, url)
    page.grow(world)
    after = _count(client, url)

    assert after == before, f"{name}: {before} queries, then {after} with more rows"
    assert after <= page.bound, f"{name}: {after} queries (bound {page.bound})"


def test_api_token_list_queries_do_not_grow_with_the_tokens(world):
    user = world["applicant"].user
    _, key = api_token_create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = reverse("api:auth-tokens")
    _count(client, url)

    before = _count(client, url)
    _tokens(user, 6)
    after = _count(client, url)

    assert after == before
    assert after <= 4
