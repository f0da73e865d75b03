"""Joining the waiting list spends one rate-limit budget whatever the route
(``waitlist_join``: the applicant's page, the API, the staff's join pages), so
a client cannot double it by alternating; leaving, resuming and answering an
offer count in ``booking`` on the pages as in the API."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from allocation.models import EntryStatus, WaitlistEntry
from allocation.services import waitlist_join
from booking.models import AllocationMode, AllocationPolicy
from tests import factories
from tests.allocation.conftest import person
from tests.auth import login
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

WAITLIST = "/api/v1/waitlist/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the rate limits' counters
    yield
    cache.clear()


def _limits(settings, scope: str, *, account: int = 100, ip: int = 100) -> None:
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        scope: {"account": (account, 3600), "ip": (ip, 3600)},
    }


def _listed(n: int):
    """``n`` procedures given out by their waiting list."""
    procedures = [factories.ProcedureFactory() for _ in range(n)]
    for procedure in procedures:
        AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedures


def _page_join(client: Client, procedure, site):
    return client.post(reverse("allocation:join", args=[procedure.slug]), {"sites": [site.pk]})


def _api_join(api, procedure, site, **extra):
    body = {"procedure": procedure.slug, "sites": [site.slug], **extra}
    return api.post(WAITLIST, body, format="json")


def test_alternating_the_page_and_the_api_spends_one_budget_per_account(site, settings):
    _limits(settings, "waitlist_join", account=2)
    applicant = person()
    web, api = Client(), token_client(applicant.user)
    web.force_login(applicant.user)
    first, second, third, fourth = _listed(4)

    assert _page_join(web, first, site).status_code == 302
    assert _api_join(api, second, site).status_code == 201
    # The budget of two is spent, by whichever route comes next.
    assert _page_join(web, third, site).status_code == 429
    refused = _api_join(api, fourth, site)

    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert WaitlistEntry.objects.filter(applicant=applicant).count() == 2


def test_alternating_the_page_and_the_api_spends_one_budget_per_address(site, settings):
    _limits(settings, "waitlist_join", ip=2)
    procedure = _listed(1)[0]
    people = [person() for _ in range(3)]
    web = Client()
    web.force_login(people[0].user)

    assert _page_join(web, procedure, site).status_code == 302
    assert _api_join(token_client(people[1].user), procedure, site).status_code == 201
    web.force_login(people[2].user)

    assert _page_join(web, procedure, site).status_code == 429
    assert WaitlistEntry.objects.count() == 2


def test_an_agent_joining_from_the_back_office_and_the_api_spends_one_budget(site, settings):
    _limits(settings, "waitlist_join", account=2)
    agent = factories.AgentFactory(sites=[site])
    someone = factories.ApplicantFactory()
    web = login(Client(), agent)
    api = token_client(agent)
    join_page = reverse("agent:waitlist_join", args=[someone.pk])
    procedure = _listed(1)[0]

    # Counted whatever they answer (the person not reached yet: 404), as the API's.
    web.post(join_page, {})
    assert _api_join(api, procedure, site, applicant=someone.pk).status_code == 201

    assert web.post(join_page, {}).status_code == 429
    assert _api_join(api, procedure, site, applicant=someone.pk).status_code == 429


def test_a_mediator_joining_from_the_console_and_the_api_spends_one_budget(site, settings):
    _limits(settings, "waitlist_join", account=1)
    mediator = factories.UserFactory(
        role=Role.MEDIATOR, access_point=factories.AccessPointFactory()
    )
    walk_in = factories.ApplicantFactory(user=None)
    web = login(Client(), mediator)

    web.post(reverse("mediation:waitlist_join", args=[walk_in.pk]), {})
    response = _api_join(token_client(mediator), _listed(1)[0], site, applicant=walk_in.pk)

    assert response.status_code == 429


def test_leaving_on_the_page_and_through_the_api_count_in_booking(site, settings):
    """Leaving, resuming and answering an offer count in ``booking`` on the
    applicant's pages, as the API counts them: one budget there too."""
    _limits(settings, "booking", account=1)
    applicant = person()
    first, second = (
        waitlist_join(actor=applicant.user, applicant=applicant, procedure=p, site_ids=[site.pk])
        for p in _listed(2)
    )
    web = Client()
    web.force_login(applicant.user)

    assert web.post(reverse("allocation:leave", args=[first.pk])).status_code == 302
    response = token_client(applicant.user).delete(f"{WAITLIST}{second.pk}/")

    assert response.status_code == 429
    second.refresh_from_db()
    assert second.status == EntryStatus.WAITING
