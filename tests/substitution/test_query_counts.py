"""Query bounds of the substitution route's pages and API, in a world with many
requests (what an N+1 would multiply). Named in ``BOUNDED_ELSEWHERE``
(``tests/helpers/query_bounds/elsewhere.py``)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from substitution import services
from substitution.models import Outcome
from tests import factories
from tests.auth import login
from tests.substitution.conftest import file_request, form_data, identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(procedure, site, agent):
    """Twelve requests at the site, a third answered, and a free priority slot."""
    rows = [
        file_request(procedure, site, identity=identity(document_number=f"93000001{n:02d}"))
        for n in range(12)
    ]
    for row in rows[:4]:
        services.substitution_request_answer(
            actor=agent, request=row, outcome=Outcome.REFUSED, answer="No."
        )
    for _ in range(5):
        factories.SlotFactory(site=site, procedure=procedure, pool="priority")
    return rows


def _bounded(assert_max, bound: int, send) -> int:
    with assert_max(bound):
        response = send()
    return response.status_code


def test_substitution_routes_take_a_bounded_number_of_queries(
    client, agent, many, procedure, site, django_assert_max_num_queries
):
    bounded = django_assert_max_num_queries
    open_one, answered = many[-1], many[0]
    # Public: the form (procedures, sites); a request (the choices checked, the
    # request, its audit row, its outbox rows in a transaction, the session saved);
    # the acknowledgment (session, request); the status (one read).
    assert _bounded(bounded, 2, lambda: client.get(reverse("substitution:request"))) == 200
    data = form_data(procedure, site, document_number="9377777777")
    assert _bounded(bounded, 11, lambda: client.post(reverse("substitution:request"), data)) == 302
    assert _bounded(bounded, 2, lambda: client.get(reverse("substitution:received"))) == 200
    assert _bounded(bounded, 1, lambda: client.get(reverse("substitution:status"))) == 200
    status = {"tracking": open_one.tracking, "birth_date": "1991-03-04"}
    assert _bounded(bounded, 2, lambda: client.post(reverse("substitution:status"), status)) == 200
    # API: filing, and the status.
    api = APIClient()
    body = {**data, "procedure": procedure.slug, "site": site.slug, "document_number": "9366666666"}
    url = "/api/v1/substitution-requests/"
    assert _bounded(bounded, 7, lambda: api.post(url, body, format="json")) == 201
    assert (
        _bounded(
            bounded,
            1,
            lambda: api.get(f"{url}{answered.tracking}/", {"birth_date": "1991-03-04"}),
        )
        == 200
    )
    # Agents: the staff session, then: the queue (one read of the rows, whatever their
    # number); a request with the free times; taking it, answering it (locked, updated,
    # audited, its messages); booking (booking's own statement, the walk-in recorded,
    # the answer); the letter (read, recorded, audited).
    login(client, agent)
    queue = reverse("substitution_agent:queue")
    assert _bounded(bounded, 4, lambda: client.get(queue, {"state": "all"})) == 200
    detail = reverse("substitution_agent:detail", args=[open_one.pk])
    assert _bounded(bounded, 5, lambda: client.get(detail)) == 200
    take = reverse("substitution_agent:take", args=[open_one.pk])
    assert _bounded(bounded, 9, lambda: client.post(take)) == 302
    answer = reverse("substitution_agent:answer", args=[many[-2].pk])
    refusal = {"outcome": "referred", "answer": "Ask the OFII."}
    assert _bounded(bounded, 10, lambda: client.post(answer, refusal)) == 302
    book = reverse("substitution_agent:book", args=[open_one.pk])
    slot = factories.SlotFactory(site=site, procedure=procedure, pool="priority")
    # Staff booking for someone: booking's statement runs in a savepoint of its
    # own transaction (``acting_for``'s receivers write in it): 2 more than alone.
    assert _bounded(bounded, 24, lambda: client.post(book, {"slot": slot.pk})) == 302
    letter = reverse("substitution_agent:letter", args=[answered.pk])
    assert _bounded(bounded, 8, lambda: client.get(letter)) == 200
