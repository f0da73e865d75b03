"""The persona world: who is who, for every test that asks who may do what.

One world, built by ``build_world()``, used by the permission matrix
(``tests/test_permission_matrix.py``), the object-level permission tests
(``tests/accounts/test_permissions.py``), the route fuzzer and the query-count
tests (``tests/test_query_counts*.py``, which add their many rows on top).

Places: two sites (``site``, ``other_site``), one procedure, two access points
(``point``, ``other_point``).

Personas, each an account (``users``), none with ``is_staff``:

    applicant, other_applicant      applicants, each with an identity
    mediator, other_mediator        of the point, of the other point
    agent, other_agent              of the site, of the other site
    supervisor
    administrator                   a superuser, for the admin (not in ``ACCOUNTS``)

and ``anonymous``, who has none. Staff have a confirmed TOTP device, as a real
staff account does.

People (``people``): the two applicants' identities; ``walk_in``, registered at
the point by its mediator; ``helped``, booked for by the point's mediator once
and registered nowhere (say, before access points recorded their walk-ins).
Both gave the point's mediator their consent (``consents``, by the same names).

Slots (``slots``), three days from now: ``booked`` at the site, ``free`` an
hour later, ``other`` at the other site, ``spare`` at the site for another
procedure (nobody has an appointment for it).

Appointments (``appointments``):

    own       the applicant's, booked online at the site (slot ``booked``)
    walk_in   the walk-in's, booked by the mediator at the site (slot ``booked``)
    others    the other applicant's, booked online at the other site (slot ``other``)
    helped    the helped person's, booked by the mediator at the other site (slot ``other``)

And: an API token of the applicant (``token``, ``token_key``), a new-slot
alert of the applicant (``alert``), a second agent of the site (``colleague``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiToken, Role, User
from accounts.services import api_token_create
from booking.models import Applicant, Appointment, Procedure, Site, Slot
from booking.services import appointment_book
from mediation.models import AccessPoint, Consent
from notifications.models import AlertSubscription
from tests import factories
from tests.auth import otp_device_confirm

APPLICANTS = ("applicant", "other_applicant")
STAFF = ("mediator", "other_mediator", "agent", "other_agent", "supervisor")
ACCOUNTS = (*APPLICANTS, *STAFF)  # the personas with an account
PERSONAS = ("anonymous", *ACCOUNTS)
ADMINISTRATOR = "administrator"


@dataclass
class World:
    users: dict[str, User]  # ACCOUNTS and the administrator
    people: dict[str, Applicant]
    sites: dict[str, Site]
    points: dict[str, AccessPoint]
    procedure: Procedure
    slots: dict[str, Slot]
    appointments: dict[str, Appointment]
    token: ApiToken
    token_key: str
    alert: AlertSubscription
    colleague: User
    consents: dict[str, Consent]


def build_world() -> World:
    """Create the persona world (the caller holds a database)."""
    site = factories.SiteFactory(slug="site")
    other_site = factories.SiteFactory(slug="other-site")
    procedure = factories.ProcedureFactory(slug="procedure")
    point, other_point = factories.AccessPointFactory(), factories.AccessPointFactory()
    applicant = factories.ApplicantFactory()
    other_applicant = factories.ApplicantFactory()
    users = {
        "applicant": applicant.user,
        "other_applicant": other_applicant.user,
        "mediator": factories.MediatorFactory(access_point=point),
        "other_mediator": factories.MediatorFactory(access_point=other_point),
        "agent": factories.AgentFactory(sites=[site]),
        "other_agent": factories.AgentFactory(sites=[other_site]),
        "supervisor": factories.UserFactory(role=Role.SUPERVISOR),
        ADMINISTRATOR: factories.UserFactory(
            role=Role.SUPERVISOR, is_staff=True, is_superuser=True
        ),
    }
    walk_in = factories.ApplicantFactory(user=None, access_point=point)
    helped = factories.ApplicantFactory(user=None, access_point=point)
    # Explicit times: the factory's sequence drifts past the booking horizon in a long run.
    soon = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    slots = {
        "booked": factories.SlotFactory(site=site, procedure=procedure, starts_at=soon),
        "free": factories.SlotFactory(
            site=site, procedure=procedure, starts_at=soon + timedelta(hours=1)
        ),
        "other": factories.SlotFactory(site=other_site, procedure=procedure, starts_at=soon),
        "spare": factories.SlotFactory(site=site, starts_at=soon),
    }
    mediator = users["mediator"]
    # What the person told the mediator: they may book, cancel and move for them.
    consents = {
        name: factories.ConsentFactory(applicant=person, mediator=mediator)
        for name, person in (("walk_in", walk_in), ("helped", helped))
    }
    appointments = {
        "own": appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=slots["booked"].pk
        ),
        "walk_in": appointment_book(actor=mediator, applicant=walk_in, slot_id=slots["booked"].pk),
        "others": appointment_book(
            actor=other_applicant.user, applicant=other_applicant, slot_id=slots["other"].pk
        ),
        "helped": appointment_book(actor=mediator, applicant=helped, slot_id=slots["other"].pk),
    }
    # Booked for by the point, then registered nowhere: the point's mediators
    # still see them, through that booking (and act with the consent).
    helped.access_point = None
    helped.save(update_fields=["access_point"])
    token, key = api_token_create(user=applicant.user)
    alert = factories.AlertSubscriptionFactory(applicant=applicant, procedure=procedure)
    colleague = factories.AgentFactory(sites=[site])
    for user in users.values():
        if user.role != Role.APPLICANT:
            otp_device_confirm(user)
    return World(
        users=users,
        people={
            "applicant": applicant,
            "other_applicant": other_applicant,
            "walk_in": walk_in,
            "helped": helped,
        },
        sites={"site": site, "other_site": other_site},
        points={"point": point, "other_point": other_point},
        procedure=procedure,
        slots=slots,
        appointments=appointments,
        token=token,
        token_key=key,
        alert=alert,
        colleague=colleague,
        consents=consents,
    )
