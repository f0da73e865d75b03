"""The waiting-list pages take a bounded number of queries, whatever the list's
length: the applicant on three lists with offers past and open, fifty people
ahead of them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from allocation.links import offer_token
from allocation.services import offer_decline, offers_allocate, waitlist_join
from booking.models import AllocationMode, AllocationPolicy
from tests import factories
from tests.allocation.conftest import person, queue_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site):
    cache.clear()
    applicant = person()
    procedures = []
    for _ in range(3):
        procedure = factories.ProcedureFactory()
        AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
        for _ in range(50):
            ahead = factories.ApplicantFactory()
            waitlist_join(
                actor=ahead.user, applicant=ahead, procedure=procedure, site_ids=[site.pk]
            )
        procedures.append(procedure)
    entries = [
        waitlist_join(actor=applicant.user, applicant=applicant, procedure=p, site_ids=[site.pk])
        for p in procedures
    ]
    # The fifty ahead decline what they get; the applicant has one open offer and past ones.
    for days in (3, 4):
        queue_slot(site, procedures[0], days=days, capacity=51)
        for offer in offers_allocate(procedure_id=procedures[0].pk):
            if offer.applicant_id != applicant.pk or days == 3:
                offer_decline(actor=offer.applicant.user, offer=offer)
    offer = entries[0].offers.filter(status="open").get()
    client = Client()
    client.force_login(applicant.user)
    return client, applicant, procedures, entries, offer


def test_waitlist_pages_take_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    client, _applicant, _procedures, entries, offer = world
    other = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=other, mode=AllocationMode.QUEUE)
    link = reverse("allocation:offer_link", args=[offer_token(offer)])
    asks = [
        # session, user, entries, per entry (3: open offer, place, pace), sites, offers
        ("get", reverse("allocation:mine"), None, 20, 200),
        ("get", reverse("allocation:join", args=[other.slug]), None, 14, 200),
        ("post", reverse("allocation:join", args=[other.slug]), {}, 14, 200),
        ("get", reverse("allocation:leave", args=[entries[1].pk]), None, 10, 200),
        # session, user, the entry, the list's modes and sites, its open offer
        ("get", reverse("allocation:change", args=[entries[1].pk]), None, 8, 200),
        (
            "post",
            reverse("allocation:change", args=[entries[1].pk]),
            {"sites": entries[1].site_ids, "weekdays_excluded": [7]},
            # the page's reads, then the service: the offers' slots and the entry
            # locked, the modes and sites, the open offers, the update, the audit row
            14,
            302,
        ),
        ("get", reverse("allocation:offer", args=[offer.pk]), None, 10, 200),
        ("get", link, None, 10, 200),
        ("post", reverse("allocation:resume", args=[entries[1].pk]), None, 12, 302),
        ("post", reverse("allocation:offer", args=[offer.pk]), {"answer": "accept"}, 45, 302),
        ("post", reverse("allocation:leave", args=[entries[2].pk]), None, 25, 302),
        (
            "post",
            reverse("allocation:join", args=[other.slug]),
            {"sites": [entries[0].site_ids[0]]},
            30,
            302,
        ),
    ]
    for method, url, data, bound, status in asks:
        send = getattr(client, method)
        with django_assert_max_num_queries(bound):
            response = send(url, data) if data is not None else send(url)
        assert response.status_code == status, (url, response.status_code)


def test_the_link_page_takes_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    _client, _applicant, _procedures, _entries, offer = world
    link = reverse("allocation:offer_link", args=[offer_token(offer)])
    anonymous = Client()

    with django_assert_max_num_queries(8):
        assert anonymous.get(link).status_code == 200
    with django_assert_max_num_queries(40):
        assert anonymous.post(link, {"answer": "accept"}).status_code == 302
