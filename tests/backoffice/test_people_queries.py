"""Query counts of the agents' pages about people: every page and action, in a
world with several of what an N+1 would multiply (people with the same surname
and date of birth, appointments at several sites, their messages, agents with
several sites, slots in every pool). Named in
``tests/helpers/query_bounds/elsewhere.py`` (``BOUNDED_ELSEWHERE``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from accounts.models import Role, User
from backoffice.urls import agent_urls
from booking.models import (
    AllocationMode,
    AllocationPolicy,
    Applicant,
    Appointment,
    Pool,
    Procedure,
    Site,
    Slot,
)
from booking.services import appointment_book
from notifications.models import Message, MessageStatus
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db

# The routes of agent_urls that are this module's (the others are bounded elsewhere).
ROUTES = {
    "search",
    "register",
    "person",
    "book_procedures",
    "book_sites",
    "book_days",
    "book_confirm",
    "appointment_cancel",
    "appointment_reschedule",
    "appointment_reschedule_confirm",
}


@dataclass
class World:
    agent: User
    supervisor: User
    person: Applicant  # appointments at the agent's sites and elsewhere, their messages
    appointment: Appointment
    procedure: Procedure
    site: Site
    free: Slot  # a free time of the appointment's procedure, at the site
    spare: Slot  # a free time of a procedure the person has no appointment for
    listed: Procedure  # no time anywhere, given out by the waiting list at the agent's site


@pytest.fixture
def world() -> World:
    sites = factories.SiteFactory.create_batch(4)
    agent = factories.AgentFactory(sites=sites[:3])
    factories.AgentFactory.create_batch(2, sites=sites[:2])
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)
    procedures = factories.ProcedureFactory.create_batch(4)
    soon = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    pools = (Pool.PRIORITY, Pool.MEDIATION, Pool.PUBLIC)
    slots = {
        (procedure.pk, site.pk, n): factories.SlotFactory(
            site=site,
            procedure=procedure,
            starts_at=soon + timedelta(minutes=20 * n),
            pool=pools[n % 3],
            capacity=10,
        )
        for procedure in procedures
        for site in sites
        for n in range(6)
    }
    person = factories.ApplicantFactory(surname="Diallo", birth_date=date(1990, 5, 17))
    booked = [
        appointment_book(
            actor=supervisor, applicant=person, slot_id=slots[procedures[n].pk, sites[n].pk, 0].pk
        )
        for n in range(3)
    ]
    # One more, at the site the agent does not work at.
    appointment_book(
        actor=supervisor, applicant=person, slot_id=slots[procedures[3].pk, sites[3].pk, 0].pk
    )
    Message.objects.filter(appointment__in=booked).update(status=MessageStatus.DELIVERED)
    # Namesakes, born the same day, each booked at the site.
    for n in range(6):
        namesake = factories.ApplicantFactory(surname="Diallo", birth_date=date(1990, 5, 17))
        appointment_book(
            actor=supervisor,
            applicant=namesake,
            slot_id=slots[procedures[n % 4].pk, sites[0].pk, 1].pk,
        )
    listed = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=listed, site=sites[1], mode=AllocationMode.QUEUE)
    return World(
        agent=agent,
        supervisor=supervisor,
        person=person,
        appointment=booked[0],
        procedure=procedures[0],
        site=sites[0],
        free=slots[procedures[0].pk, sites[0].pk, 3],
        spare=slots[procedures[3].pk, sites[0].pk, 2],
        listed=listed,
    )


@dataclass
class Ask:
    method: str
    url: Callable[[World], str]
    bound: int
    status: int
    data: Callable[[World], dict] | None = None
    label: str = ""
    who: str = "agent"


def _person(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.person.pk, *(arg(w) for arg in args)])


_REF = lambda w: w.appointment.reference  # noqa: E731


def _day(w: World) -> str:
    return timezone.localdate(w.free.starts_at).isoformat()


ASKS: list[Ask] = [
    # The bounds are what the code does today: the session, the user and its
    # device (3), then the page's own reads, none per row.
    Ask("get", lambda w: reverse("agent:search"), 3, 200, label="search"),
    Ask(
        "post",
        lambda w: reverse("agent:search"),
        4,
        302,
        data=lambda w: {"by": "document", "document-document_number": w.person.document_number},
        label="by document: found",
    ),
    Ask(
        "post",
        lambda w: reverse("agent:search"),
        4,
        200,
        data=lambda w: {"by": "name", "name-surname": "diallo", "name-birth_date": "1990-05-17"},
        label="by surname and birth date: several",
    ),
    Ask(
        "post",
        lambda w: reverse("agent:search"),
        4,
        302,
        data=lambda w: {"by": "reference", "reference-reference": w.appointment.reference},
        label="by reference",
    ),
    Ask("get", lambda w: reverse("agent:register"), 3, 200, label="register"),
    Ask(
        "post",
        lambda w: reverse("agent:register"),
        10,
        302,
        data=lambda w: {
            "surname": "Koné",
            "given_names": "Awa",
            "birth_date": "1988-03-02",
            "nationality": "CI",
            "document_type": "passport",
            "document_number": "19AB12345",
            "phone": "",
            "email": "",
            "language": "fr",
        },
        label="a walk-in",
    ),
    Ask(
        "post",
        lambda w: reverse("agent:register"),
        12,  # the refused INSERT, the record found, its audit row
        302,
        data=lambda w: {
            "surname": w.person.surname,
            "given_names": w.person.given_names,
            "birth_date": w.person.birth_date.isoformat(),
            "nationality": w.person.nationality.code,
            "document_type": w.person.document_type,
            "document_number": w.person.document_number,
            "phone": "",
            "email": "",
            "language": "fr",
        },
        label="on file already",
    ),
    Ask("get", _person("agent:person"), 10, 200, label="person"),  # 2: the waiting list
    Ask("get", _person("agent:person"), 9, 200, who="supervisor", label="person, supervisor"),
    Ask("get", _person("agent:book_procedures"), 6, 200, label="procedures"),
    Ask("get", _person("agent:book_sites", lambda w: w.procedure.slug), 7, 200, label="sites"),
    # Nothing free: as many; whether the waiting list gives the procedure out at
    # the agent's sites is read with the procedure (no query of its own).
    Ask("get", _person("agent:book_sites", lambda w: w.listed.slug), 7, 200, label="nothing free"),
    Ask(
        "get",
        lambda w: (
            reverse("agent:book_days", args=[w.person.pk, w.procedure.slug, w.site.slug])
            + f"?date={_day(w)}"
        ),
        9,
        200,
        label="days",
    ),
    Ask("get", _person("agent:book_confirm", lambda w: w.spare.pk), 6, 200, label="confirm"),
    Ask("post", _person("agent:book_confirm", lambda w: w.spare.pk), 17, 302, label="booked"),
    Ask("get", _person("agent:appointment_cancel", _REF), 5, 200, label="cancel"),
    # On a priority slot: the right it may have been booked with is looked up (given back).
    Ask("post", _person("agent:appointment_cancel", _REF), 15, 302, label="cancelled"),
    Ask(
        "get",
        lambda w: (
            reverse("agent:appointment_reschedule", args=[w.person.pk, w.appointment.reference])
            + f"?date={_day(w)}"
        ),
        11,
        200,
        label="reschedule",
    ),
    Ask(
        "get",
        _person("agent:appointment_reschedule_confirm", _REF, lambda w: w.free.pk),
        9,
        200,
        label="reschedule confirm",
    ),
    Ask(
        "post",
        _person("agent:appointment_reschedule_confirm", _REF, lambda w: w.free.pk),
        20,
        302,
        label="moved",
    ),
]


def _params():
    for number, ask in enumerate(ASKS):
        yield pytest.param(ask, id=f"{number} {ask.who} {ask.method.upper()} {ask.label}".strip())


@pytest.mark.parametrize("ask", list(_params()))
def test_people_route_queries(world, ask, client, django_assert_max_num_queries):
    login(client, world.agent if ask.who == "agent" else world.supervisor)
    url = ask.url(world)
    data = ask.data(world) if ask.data else {}
    send = getattr(client, ask.method)

    with django_assert_max_num_queries(ask.bound):
        response = send(url, data) if data else send(url)

    assert response.status_code == ask.status, (url, response.status_code)


def test_every_people_route_is_asked(world):
    asked = {resolve(urlsplit(ask.url(world)).path).view_name for ask in ASKS}
    routes = {f"agent:{pattern.name}" for pattern in agent_urls[0]} & {
        f"agent:{name}" for name in ROUTES
    }
    assert routes == {f"agent:{name}" for name in ROUTES}
    assert routes - asked == set()
