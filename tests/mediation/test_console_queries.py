"""Query counts of the mediators' console: every page and action, in a point with
several of what an N+1 would multiply (people, their consents, appointments and
messages, mediators with their counts and raises, opening periods). Named in
``tests/helpers/query_bounds/elsewhere.py`` (``BOUNDED_ELSEWHERE``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from accounts.models import Role, User
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
from mediation.models import AccessPoint, Consent
from mediation.services import cap_raise
from mediation.urls import urlpatterns
from notifications.models import Message, MessageStatus
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db

# Bounded with the applicant's pages (tests/test_query_counts.py).
PUBLIC_PAGES = {"mediation:points", "mediation:substitution"}


@dataclass
class World:
    point: AccessPoint
    mediator: User
    supervisor: User
    person: Applicant  # consents, three appointments, their messages
    appointment: Appointment
    consent: Consent
    procedure: Procedure
    site: Site
    free: Slot  # a free time of the appointment's procedure
    spare: Slot  # a free time of a procedure the person has no appointment for
    listed: Procedure  # no time anywhere, given out by the waiting list at a site


@pytest.fixture
def world() -> World:
    point = factories.AccessPointFactory()
    mediators = factories.MediatorFactory.create_batch(4, access_point=point)
    mediator = mediators[0]
    supervisor = factories.UserFactory(role=Role.SUPERVISOR)
    factories.AccessPointFactory.create_batch(3)
    sites = factories.SiteFactory.create_batch(3)
    procedures = factories.ProcedureFactory.create_batch(4)
    soon = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    slots = [
        factories.SlotFactory(
            site=site,
            procedure=procedure,
            starts_at=soon + timedelta(minutes=20 * n),
            pool=Pool.MEDIATION if n % 2 else Pool.PUBLIC,
            capacity=10,
        )
        for procedure in procedures
        for site in sites
        for n in range(4)
    ]
    person = factories.ApplicantFactory(user=None, access_point=point)
    for each in mediators[:3]:
        factories.ConsentFactory(applicant=person, mediator=each)
    consent = factories.ConsentFactory(applicant=person, mediator=mediator)
    booked = [
        appointment_book(actor=mediator, applicant=person, slot_id=slot.pk)
        for slot in (slots[0], slots[12], slots[24])
    ]
    Message.objects.filter(appointment__in=booked).update(status=MessageStatus.DELIVERED)
    # The point's other people, each booked for and consenting: the point's page lists them.
    for n in range(5):
        other = factories.ApplicantFactory(user=None, access_point=point)
        factories.ConsentFactory(
            applicant=other,
            mediator=mediators[n % 4],
            valid_until=timezone.localdate() + timedelta(days=3),
        )
        appointment_book(actor=mediators[n % 4], applicant=other, slot_id=slots[n + 1].pk)
    # A full week of opening periods: the hours page shows each one.
    for weekday in range(6):
        for opens, closes in ((time(9), time(12)), (time(14), time(17))):
            factories.OpeningPeriodFactory(
                access_point=point, weekday=weekday, opens=opens, closes=closes
            )
    for each in mediators[:2]:
        cap_raise(
            actor=supervisor,
            access_point=point,
            mediator=each,
            day=timezone.localdate(),
            extra=5,
            reason="Permanence",
        )
    listed = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=listed, site=sites[1], mode=AllocationMode.QUEUE)
    return World(
        point=point,
        mediator=mediator,
        supervisor=supervisor,
        person=person,
        appointment=booked[0],
        consent=consent,
        procedure=procedures[0],
        site=sites[0],
        free=slots[2],
        spare=slots[36 + 1],
        listed=listed,
    )


@dataclass
class Ask:
    who: str
    method: str
    url: Callable[[World], str]
    bound: int
    status: int
    data: Callable[[World], dict] | None = None
    label: str = ""


def _person(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.person.pk, *(arg(w) for arg in args)])


_REF = lambda w: w.appointment.reference  # noqa: E731


def _day(w: World) -> str:
    return timezone.localdate(w.free.starts_at).isoformat()


ASKS: list[Ask] = [
    # The bounds are what the code does today: the session, the user and its
    # device (3), the point, then the page's own reads, none per row.
    Ask("mediator", "get", lambda w: reverse("mediation:home"), 11, 200),
    Ask("supervisor", "get", lambda w: reverse("mediation:home"), 4, 200, label="the points"),
    Ask("mediator", "get", lambda w: reverse("mediation:find"), 4, 200),
    Ask(
        "mediator",
        "post",
        lambda w: reverse("mediation:find"),
        7,
        302,
        data=lambda w: {
            "by": "document",
            "document-document_number": w.person.document_number,
            "document-birth_date": w.person.birth_date.isoformat(),
        },
        label="found",
    ),
    Ask("mediator", "get", lambda w: reverse("mediation:register"), 4, 200),
    Ask(
        "mediator",
        "post",
        lambda w: reverse("mediation:register"),
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
    Ask("supervisor", "get", lambda w: reverse("mediation:cap_raise"), 5, 200),
    Ask(
        "supervisor",
        "post",
        lambda w: reverse("mediation:cap_raise"),
        9,
        302,
        data=lambda w: {
            "access_point": w.point.pk,
            "mediator": w.mediator.pk,
            "day": timezone.localdate().isoformat(),
            "extra": 3,
            "reason": "Permanence",
        },
    ),
    Ask("mediator", "get", lambda w: reverse("mediation:hours"), 5, 200, label="the hours"),
    Ask(
        "mediator",
        "post",
        lambda w: reverse("mediation:hours"),
        9,
        302,
        data=lambda w: {
            f"d{day}_{moment}_{edge}": value
            for day in range(6)
            for moment, (opens, closes) in (
                ("morning", ("09:00", "12:00")),
                ("afternoon", ("14:00", "17:00")),
            )
            for edge, value in (("opens", opens), ("closes", closes))
        },
        label="a whole week",
    ),
    Ask("mediator", "get", _person("mediation:person"), 11, 200),  # 2: the waiting list
    Ask("mediator", "get", _person("mediation:consent_give"), 6, 200),
    Ask(
        "mediator",
        "post",
        _person("mediation:consent_give"),
        8,
        302,
        data=lambda w: {
            "given_by": "person",
            "method": "written",
            "purposes": ["booking"],
            "valid_until": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    ),
    Ask(
        "mediator",
        "post",
        _person("mediation:consent_withdraw", lambda w: w.consent.pk),
        10,
        302,
    ),
    Ask("mediator", "get", _person("mediation:book_procedures"), 8, 200),
    Ask(
        "mediator",
        "get",
        _person("mediation:book_sites", lambda w: w.procedure.slug),
        8,
        200,
    ),
    # Nothing free: 3 more, the search counted in the person's attempts; whether
    # the waiting list gives the procedure out is read with the procedure (no query).
    Ask(
        "mediator",
        "get",
        _person("mediation:book_sites", lambda w: w.listed.slug),
        11,
        200,
        label="nothing free",
    ),
    Ask(
        "mediator",
        "get",
        lambda w: (
            reverse("mediation:book_days", args=[w.person.pk, w.procedure.slug, w.site.slug])
            + f"?date={_day(w)}"
        ),
        11,
        200,
    ),
    Ask("mediator", "get", _person("mediation:book_confirm", lambda w: w.spare.pk), 8, 200),
    Ask(
        "mediator",
        "post",
        _person("mediation:book_confirm", lambda w: w.spare.pk),
        16,
        302,
        label="booked",
    ),
    Ask("mediator", "get", _person("mediation:appointment_cancel", _REF), 7, 200),
    Ask("mediator", "post", _person("mediation:appointment_cancel", _REF), 16, 302),
    Ask(
        "mediator",
        "get",
        lambda w: (
            reverse("mediation:appointment_reschedule", args=[w.person.pk, w.appointment.reference])
            + f"?date={_day(w)}"
        ),
        11,
        200,
    ),
    Ask(
        "mediator",
        "get",
        _person("mediation:appointment_reschedule_confirm", _REF, lambda w: w.free.pk),
        10,
        200,
    ),
    Ask(
        "mediator",
        "post",
        _person("mediation:appointment_reschedule_confirm", _REF, lambda w: w.free.pk),
        20,
        302,
    ),
]


def _params():
    for ask in ASKS:
        yield pytest.param(ask, id=f"{ask.who} {ask.method.upper()} {ask.label}".strip())


@pytest.mark.parametrize("ask", list(_params()))
def test_console_route_queries(world, ask, client, django_assert_max_num_queries):
    login(client, world.mediator if ask.who == "mediator" else world.supervisor)
    url = ask.url(world)
    data = ask.data(world) if ask.data else {}
    send = getattr(client, ask.method)

    with django_assert_max_num_queries(ask.bound):
        response = send(url, data) if data else send(url)

    assert response.status_code == ask.status, (url, response.status_code)


def test_every_console_route_is_asked(world):
    asked = {resolve(urlsplit(ask.url(world)).path).view_name for ask in ASKS}
    console = {f"mediation:{pattern.name}" for pattern in urlpatterns} - PUBLIC_PAGES
    # The person's waiting-list pages: tests/allocation/test_staff_pages_queries.py.
    console = {name for name in console if ":waitlist_" not in name}

    assert console - asked == set()
