"""Query bounds of the court orders' pages and API, in a world with many orders,
some served (what an N+1 would multiply). Named in ``BOUNDED_ELSEWHERE``
(``tests/helpers/query_bounds/elsewhere.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import statements
from booking.services.injunctions import injunction_convoke
from tests import factories
from tests.auth import login
from tests.helpers.api_clients import token_client
from tests.helpers.injunctions import record, slot_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(agent, procedure, site):
    """Twelve orders at the site, a third served, and free priority times."""
    today = timezone.localdate()
    rows = [
        record(
            agent,
            factories.ApplicantFactory(user=None, email=f"p{n}@example.test"),
            procedure,
            site,
            case_number=f"26000{n:02d}",
            deadline=today + timedelta(days=n - 2),
            ordered_on=today - timedelta(days=10),
        )
        for n in range(12)
    ]
    for n, row in enumerate(rows[8:]):
        slot = slot_on(site, procedure, today + timedelta(days=1 + n), hour=8)
        injunction_convoke(actor=agent, injunction=row, slot_id=slot.pk)
    for n in range(6):
        slot_on(site, procedure, today + timedelta(days=2 + n % 3), hour=11 + n)
    return rows


def _bounded(assert_max, bound: int, send) -> int:
    # A booking draws a block of appointment ids once in ``statements.ID_BLOCK``
    # bookings of the process: counted always (the worst case), not as the
    # tests run before in this process left the block.
    statements._ids.clear()
    with assert_max(bound):
        response = send()
    return response.status_code


def test_injunction_routes_take_a_bounded_number_of_queries(
    client, agent, many, procedure, site, django_assert_max_num_queries
):
    bounded = django_assert_max_num_queries
    open_one, served = many[7], many[-1]
    login(client, agent)
    # The list: the session, the user, the sites of the filter, the rows (one read
    # whatever their number, with their person, procedure, site and appointment),
    # the counts.
    listed = reverse("agent:injunctions")
    assert _bounded(bounded, 6, lambda: client.get(listed)) == 200
    assert (
        _bounded(bounded, 7, lambda: client.get(listed, {"state": "open", "site": site.pk})) == 200
    )
    # Recording: the page; a search by document (found: chosen, a redirect); the
    # form with the person; the order recorded (checks, insert, audit row).
    new = reverse("agent:injunction_new")
    assert _bounded(bounded, 4, lambda: client.get(new)) == 200
    person = factories.ApplicantFactory(user=None)
    found = {
        "action": "document",
        "document-document_number": person.document_number,
        "document-birth_date": person.birth_date.isoformat(),
    }
    assert _bounded(bounded, 8, lambda: client.post(new, found)) == 302
    assert _bounded(bounded, 8, lambda: client.get(new)) == 200
    today = timezone.localdate()
    order = {
        "action": "record",
        "court": "TA Montreuil",
        "case_number": "2699999",
        "ordered_on": today.isoformat(),
        "deadline": (today + timedelta(days=9)).isoformat(),
        "procedure": procedure.pk,
        "site": site.pk,
    }
    # (Each write also reads the person's entries on the procedure's waiting
    # list, locked: their class follows the order.)
    assert _bounded(bounded, 17, lambda: client.post(new, order)) == 302
    # An order: not served (its week of priority times), served (the appointment
    # and its messages); booking the convocation (the order locked, booking's own
    # statement and messages, a block of appointment ids, the link, the audit row).
    detail = reverse("agent:injunction", args=[open_one.pk])
    assert _bounded(bounded, 9, lambda: client.get(detail)) == 200
    served_page = reverse("agent:injunction", args=[served.pk])
    assert _bounded(bounded, 5, lambda: client.get(served_page)) == 200
    slot = slot_on(site, procedure, today + timedelta(days=3), hour=17)
    convoke = reverse("agent:injunction_convocation", args=[open_one.pk])
    assert _bounded(bounded, 20, lambda: client.post(convoke, {"slot": slot.pk})) == 302
    # API: the list (a page), one order, recording, convoking.
    api = token_client(agent)
    url = "/api/v1/agent/injunctions/"
    assert _bounded(bounded, 2, lambda: api.get(url)) == 200
    assert (
        _bounded(bounded, 3, lambda: api.get(url, {"state": "overdue", "site": site.slug})) == 200
    )
    assert _bounded(bounded, 2, lambda: api.get(f"{url}{served.pk}/")) == 200
    body = {
        "applicant": person.pk,
        "court": "TA Montreuil",
        "case_number": "2688888",
        "ordered_on": today.isoformat(),
        "deadline": (today + timedelta(days=9)).isoformat(),
        "procedure": procedure.slug,
        "site": site.slug,
    }
    assert _bounded(bounded, 12, lambda: api.post(url, body, format="json")) == 201
    another = many[6]
    slot = slot_on(site, procedure, today + timedelta(days=3), hour=18)
    convoke_api = f"{url}{another.pk}/convocation/"
    assert (
        _bounded(bounded, 19, lambda: api.post(convoke_api, {"slot": slot.pk}, format="json"))
        == 201
    )
