"""Query counts of the staff's waiting-list pages and actions (console and back
office) and of the allocation modes page, with several of what an N+1 would
multiply: the walk-in on three procedures' lists over several sites, one of
them with an open offer; procedures and sites on the modes page. Named in
``tests/helpers/query_bounds/elsewhere.py`` (``BOUNDED_ELSEWHERE``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocation.services import waitlist_join
from booking import statements
from booking.models import AllocationMode, AllocationPolicy
from tests import factories
from tests.auth import login
from tests.helpers import wstaff
from tests.personas import World, build_world

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Ask:
    who: str
    method: str
    url: Callable[[World], str]
    bound: int
    data: Callable[[World], dict] | None = None


def _person(name):
    return lambda w: w.people[name].pk


def _u(route, *args):
    return lambda w: reverse(route, args=[arg(w) if callable(arg) else arg for arg in args])


_WALK_IN = _person("walk_in")


def _entry(w):
    return wstaff.walk_in_entry(w).pk


def _offer(w):
    return wstaff.walk_in_offer(w).pk


ASKS: dict[str, Ask] = {
    "mediation:person": Ask("mediator", "get", _u("mediation:person", _WALK_IN), 21),
    "mediation:waitlist_join": Ask("mediator", "get", _u("mediation:waitlist_join", _WALK_IN), 9),
    "mediation:waitlist_join POST": Ask(
        "mediator",
        "post",
        _u("mediation:waitlist_join", _person("helped")),
        23,  # with the one asking whether a seat waits to be offered
        data=wstaff.join_data,
    ),
    "mediation:waitlist_change": Ask(
        "mediator", "get", _u("mediation:waitlist_change", _WALK_IN, _entry), 10
    ),
    "mediation:waitlist_change POST": Ask(
        "mediator",
        "post",
        _u("mediation:waitlist_change", _WALK_IN, _entry),
        18,  # the consent locked, the offers' slots locked, the entry written and audited
        data=wstaff.change_data,
    ),
    "mediation:waitlist_leave": Ask(
        "mediator", "post", _u("mediation:waitlist_leave", _WALK_IN, _entry), 17
    ),
    "mediation:waitlist_resume": Ask(
        "mediator", "post", _u("mediation:waitlist_resume", _WALK_IN, _entry), 9
    ),
    "mediation:waitlist_offer_accept": Ask(
        "mediator", "post", _u("mediation:waitlist_offer_accept", _WALK_IN, _offer), 25
    ),
    "mediation:waitlist_offer_decline": Ask(
        "mediator", "post", _u("mediation:waitlist_offer_decline", _WALK_IN, _offer), 16
    ),
    "agent:person": Ask("agent", "get", _u("agent:person", _WALK_IN), 20),
    "agent:waitlist_join": Ask("agent", "get", _u("agent:waitlist_join", _WALK_IN), 8),
    "agent:waitlist_join POST": Ask(
        "agent",
        "post",
        _u("agent:waitlist_join", _person("applicant")),
        23,  # with the one asking whether a seat waits to be offered
        data=wstaff.join_data,
    ),
    "agent:waitlist_change": Ask("agent", "get", _u("agent:waitlist_change", _WALK_IN, _entry), 10),
    "agent:waitlist_change POST": Ask(
        "agent",
        "post",
        _u("agent:waitlist_change", _WALK_IN, _entry),
        21,  # the sites of the agent's, the offers' slots locked, the entry written and audited
        data=wstaff.change_data,
    ),
    "agent:waitlist_leave": Ask("agent", "post", _u("agent:waitlist_leave", _WALK_IN, _entry), 18),
    "agent:waitlist_resume": Ask(
        "agent", "post", _u("agent:waitlist_resume", _WALK_IN, _entry), 11
    ),
    "agent:waitlist_permit": Ask("agent", "get", _u("agent:waitlist_permit", _WALK_IN, _entry), 6),
    "agent:waitlist_permit POST": Ask(
        "agent",
        "post",
        _u("agent:waitlist_permit", _WALK_IN, _entry),
        14,
        data=lambda w: {"permit_expires_on": w.slots["free"].starts_at.date().isoformat()},
    ),
    "agent:waitlist_offer_accept": Ask(
        "agent", "post", _u("agent:waitlist_offer_accept", _WALK_IN, _offer), 24
    ),
    "agent:waitlist_offer_decline": Ask(
        "agent", "post", _u("agent:waitlist_offer_decline", _WALK_IN, _offer), 17
    ),
    "agent:allocation_modes": Ask("supervisor", "get", _u("agent:allocation_modes"), 6),
    "agent:allocation_modes POST": Ask(
        "supervisor",
        "post",
        _u("agent:allocation_modes"),
        15,
        data=lambda w: {"procedure": w.procedure.pk, "site": "all", "mode": "queue"},
    ),
}


@pytest.fixture
def world() -> World:
    w = build_world()
    sites = [w.sites["site"], *factories.SiteFactory.create_batch(3)]
    # The walk-in waits for three procedures, each listed at every site; one offer open.
    for _ in range(2):
        procedure = factories.ProcedureFactory()
        AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
        AllocationPolicy.objects.create(
            procedure=procedure, site=sites[1], mode=AllocationMode.OPEN
        )
        waitlist_join(
            actor=w.users["supervisor"],
            applicant=w.people["walk_in"],
            procedure=procedure,
            site_ids=[site.pk for site in sites],
            weekdays_excluded=[6, 7],
        )
    wstaff.walk_in_offer(w)
    return w


def test_staff_waitlist_routes_take_a_bounded_number_of_queries(world):
    """The person's page reads each entry's place, pace and open offer (three
    queries an entry: a person is on a few lists at most, one per procedure)."""
    clients = {
        who: login(Client(), world.users[who]) for who in ("mediator", "agent", "supervisor")
    }
    counts = {}
    for name, ask in ASKS.items():
        url = ask.url(world)
        data = ask.data(world) if ask.data else None
        client = clients[ask.who]
        # An accept books: it draws a block of appointment ids once in
        # ``statements.ID_BLOCK`` bookings of the process. Counted always (the
        # worst case, as the booking's own hot path does), not as earlier tests left it.
        statements._ids.clear()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                response = getattr(client, ask.method)(url, data)
            transaction.set_rollback(True)
        assert response.status_code in (200, 302), (name, response.status_code)
        counts[name] = len(queries)
    over = {
        name: (counts[name], ask.bound) for name, ask in ASKS.items() if counts[name] > ask.bound
    }
    assert not over, over
