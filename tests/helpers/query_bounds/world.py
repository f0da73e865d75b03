"""The busy world the route query bounds are made in, and how one request of
the tables is asked (``Ask``) and by whom (``log_in_as``).

The world holds several of what an N+1 would multiply: the applicant's tokens,
appointments, alerts and messages, staff with sites, devices and tokens, SMS in
the outbox, failed logins, audit rows, added to the persona world
(``tests/personas.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, Role, User
from accounts.services import (
    account_register,
    api_token_create,
    email_confirmation_send,
    otp_backup_codes_regenerate,
    phone_code_send,
    staff_deactivate,
)
from audit.models import AuditAction, AuditEvent
from booking.models import Applicant, Procedure
from booking.services import appointment_book
from notifications.models import AlertSubscription, Message, MessageStatus
from notifications.services import alerts_fan_out
from tests import factories
from tests.auth import MODEL_BACKEND, login, otp_device_confirm
from tests.helpers.notification_factories import sent_sms
from tests.personas import World as Personas

TWILIO_TOKEN = "query-counts-auth-token"
PUBLIC_BASE_URL = "https://guichet.example.org"
NEW_PASSWORD = "un-mot-de-passe-solide-93"


@dataclass
class World:
    client: Client
    applicant: Applicant  # an identity, appointments, alerts, messages, API tokens, failed logins
    key: str  # the key of the applicant's first token: their API client's
    token: ApiToken  # another of the applicant's tokens, to revoke
    newcomer: User  # just registered: e-mail and phone to confirm, several codes sent
    secured: User  # an applicant with two-factor authentication on
    supervisor: User
    agent: User  # one of several agents, each with sites, devices and tokens
    closed: User  # a deactivated agent
    sms: Message  # one of several SMS Twilio reports on
    phone: str  # a number with SMS alerts owed, that replies STOP
    subscription: AlertSubscription  # one of the applicant's new-slot alerts, with alerts owed
    procedure: Procedure  # one the applicant has no alert for


def _failed_logins(email: str, addresses: list[str], *, ago: timedelta = timedelta(0)) -> None:
    """Two failures for ``email`` from each address (below the lock-out), ``ago``."""
    for address in addresses:
        AccessAttempt.objects.create(
            username=email,
            ip_address=address,
            user_agent="test",
            failures_since_start=2,
            get_data="",
            post_data="",
            http_accept="*/*",
            path_info="/accounts/login/",
        )
    # The attempt time is set on creation, whatever is passed.
    AccessAttempt.objects.filter(username=email).update(attempt_time=timezone.now() - ago)


def failed_logins_yesterday(world: World | None = None) -> None:
    for n in range(4):
        _failed_logins(f"forgetful{n}@example.test", ["192.0.2.9"], ago=timedelta(days=1))


def busy_routes_world(client: Client, persona_world: Personas) -> World:
    """The world, built on the test's client and persona world (Twilio's token and
    the public address set by the fixture first: ``TWILIO_TOKEN``, ``PUBLIC_BASE_URL``)."""
    applicant = persona_world.people["applicant"]
    supervisor = persona_world.users["supervisor"]
    sites = factories.SiteFactory.create_batch(3)
    procedures = factories.ProcedureFactory.create_batch(3)
    # The applicant: three appointments (their messages in the outbox), six tokens,
    # failed logins from the test client's address and two others. Failures of
    # others, from yesterday: Axes deletes them at every login and logout.
    for procedure in procedures:
        slot = factories.SlotFactory(site=sites[0], procedure=procedure)
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    tokens = [api_token_create(user=applicant.user) for _ in range(6)]
    _failed_logins(applicant.user.email, ["127.0.0.1", "192.0.2.1", "192.0.2.2"])
    failed_logins_yesterday()
    # Just registered, then asked twice more for a link and for a code.
    newcomer = account_register(
        email="newcomer@example.test",
        password=factories.DEFAULT_PASSWORD,
        phone="+33698765432",
        consent=True,
    )
    for _ in range(2):
        email_confirmation_send(user=newcomer)
        phone_code_send(user=newcomer, check_cool_down=False)
    secured = factories.ApplicantFactory().user
    otp_device_confirm(secured)
    otp_backup_codes_regenerate(user=secured)
    # Staff: the agent of the site and five more, each also of every site here, with
    # a device, backup codes and tokens; mediators.
    agents = [persona_world.users["agent"], *factories.AgentFactory.create_batch(5)]
    for each in agents:
        each.sites.add(*sites)
    for each in agents:
        otp_device_confirm(each)
        otp_backup_codes_regenerate(user=each)
        api_token_create(user=each)
        api_token_create(user=each)
    factories.MediatorFactory.create_batch(3)
    staff_deactivate(actor=supervisor, user=agents[-1])
    # The audit trail holds all of the above; and more rows for the export.
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.TOKEN_CREATED,
            actor_id=applicant.user_id,
            actor_label=applicant.user.email,
            actor_role=Role.APPLICANT,
            subject_user_id=applicant.user_id,
            details={"token_id": n},
        )
        for n in range(60)
    )
    # SMS: sent ones Twilio reports on; alerts owed to a number that replies STOP.
    sms = [sent_sms() for _ in range(6)]
    phone = "+33611111111"
    for _ in range(4):
        sent_sms(destination=phone, essential=False, status=MessageStatus.PENDING)
    # The applicant's new-slot alerts on the three procedures at every site, each
    # with alerts owed (SMS and e-mail) for two publications at each site.
    subscriptions = [
        factories.AlertSubscriptionFactory(applicant=applicant, procedure=each, sites=sites)
        for each in procedures
    ]
    for n in range(2):
        for each in procedures:
            for site in sites:
                alerts_fan_out(procedure_id=each.pk, site_id=site.pk, event_key=f"published-{n}")
    return World(
        client=client,
        applicant=applicant,
        key=tokens[0][1],
        token=tokens[1][0],
        newcomer=newcomer,
        secured=secured,
        supervisor=supervisor,
        agent=agents[0],
        closed=agents[-1],
        sms=sms[2],
        phone=phone,
        subscription=subscriptions[0],
        procedure=factories.ProcedureFactory(),
    )


# --- Who asks ---------------------------------------------------------------------------------


def log_in_as(world: World, who: str) -> dict:
    """Log ``who`` in on the world's client; the headers their requests carry."""
    client = world.client
    if who == "applicant":
        login(client, world.applicant.user)
    elif who == "api client":  # the applicant's, with a token
        return {"HTTP_AUTHORIZATION": f"Token {world.key}"}
    elif who == "newcomer":
        login(client, world.newcomer)
    elif who == "secured":
        login(client, world.secured)
    elif who == "supervisor":
        login(client, world.supervisor)
    elif who == "agent":
        login(client, world.agent)
    elif who == "agent, password only":  # the second step of a staff login
        client.force_login(world.agent, backend=MODEL_BACKEND)
    else:
        assert who in ("anonymous", "twilio"), who
    return {}


@dataclass
class Ask:
    """One request: who makes it, how, and at most how many queries it takes."""

    who: str
    method: str
    url: Callable[[World], str]
    bound: int
    status: int
    data: Callable[[World], dict] | None = None
    # What the person did just before (not counted).
    before: Callable[[World], object] | None = None
    headers: Callable[[World, str, dict], dict] | None = None
    label: str = ""
