"""Query counts of the routes and form actions the other query-count modules
leave out, and a check that every route of the site has one.

The first modules bound the applicant's pages, the API's reads and bookings
(``tests/test_query_counts.py``) and the staff pages
(``tests/test_query_counts_staff.py``). Here: the account pages that log in and
out, confirm contacts, reset and change a password and handle the second
factor; the staff actions; Twilio's webhooks; the audit export; the API's
token revocation, documentation and JSON 404; the language switch. And the
actions (POST) of forms whose page (GET) is bounded there: registering,
changing one's e-mail or phone, deleting one's account, recording and
correcting an identity, starting and stopping an alert, saving a staff
account, new backup codes, lifting a lock-out, an agent's correction (booking,
cancelling and rescheduling through the pages are bounded there too). Each
request is the one a person (or Twilio, or an API client) makes, in a world
with several of what an N+1 would multiply: the applicant's tokens,
appointments, alerts and messages, staff with sites, devices and tokens, SMS
in the outbox, failed logins, audit rows, added to the persona world
(``tests/personas.py``). The bounds are what the code does today; the
comments say what the queries are.

``test_every_route_has_a_query_bound`` fails when a route has no bound, here
or in a module named in ``BOUNDED_ELSEWHERE``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from twilio.request_validator import RequestValidator

from accounts.models import ApiToken, PhoneVerification, Role, User
from accounts.services import (
    account_register,
    api_token_create,
    email_confirmation_send,
    otp_backup_codes_regenerate,
    phone_code_send,
    staff_deactivate,
)
from audit.models import AuditAction, AuditEvent
from booking.identity import Identity
from booking.models import Applicant, Procedure, Site
from booking.services import applicant_create, appointment_book
from notifications.models import AlertSubscription, Message, MessageStatus
from notifications.services import alerts_fan_out, unsubscribe_token
from tests import factories
from tests.auth import MODEL_BACKEND, login, otp_device_confirm
from tests.helpers.inbox import confirm_path, sms_code
from tests.helpers.notification_factories import sent_sms
from tests.helpers.otp import totp_code

pytestmark = pytest.mark.django_db

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


def _failed_logins_yesterday(world: World | None = None) -> None:
    for n in range(4):
        _failed_logins(f"forgetful{n}@example.test", ["192.0.2.9"], ago=timedelta(days=1))


@pytest.fixture
def world(client, settings, persona_world) -> World:
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
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
    _failed_logins_yesterday()
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


def _as(world: World, who: str) -> dict:
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


def _twilio_signed(world: World, path: str, data: dict) -> dict:
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + path, data)
    return {"HTTP_X_TWILIO_SIGNATURE": signature}


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


def _reset_link(world: World) -> str:
    user = world.applicant.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
    )


def _set_password_page(world: World) -> str:
    """Following the link stores its token in the session and leads here."""
    response = world.client.get(_reset_link(world))
    assert response.status_code == 302
    return response.url


def _setup_device(world: World) -> TOTPDevice:
    return TOTPDevice.objects.get(user=world.applicant.user, confirmed=False)


def _codes_sent_a_while_ago(world: World) -> None:
    """The last code is older than the cool-down between two codes."""
    cool_down = timedelta(seconds=settings.ACCOUNTS_PHONE_CODE_RESEND_SECONDS)
    PhoneVerification.objects.filter(user=world.newcomer).update(
        created_at=timezone.now() - cool_down - timedelta(seconds=1)
    )


# Keyed by the route's name; each request is checked to resolve to it. A page
# loads its session and user (2 queries; a staff session also its OTP device: 3).
# A transaction's BEGIN and COMMIT are, in a test's own transaction, a SAVEPOINT
# and its RELEASE: 2 more queries here per transaction (and per nested one).
API_ROUTES: dict[str, list[Ask]] = {
    # The token with its account, recording its use (fresh: every time), the
    # DELETE and its audit row, in a transaction.
    "api:auth-token-revoke": [
        Ask(
            "api client",
            "delete",
            lambda w: reverse("api:auth-token-revoke", args=[w.token.pk]),
            6,
            204,
        )
    ],
    # Static: no session, no token, no query.
    "api:docs": [
        Ask("anonymous", "get", lambda w: reverse("api:docs"), 0, 200, label="page"),
        Ask("anonymous", "get", lambda w: reverse("api:docs") + "?script", 0, 200, label="script"),
    ],
    # Not even the token is looked up.
    "api:not-found": [Ask("api client", "get", lambda w: "/api/v1/nothing/", 0, 404)],
}

ACCOUNT_ROUTES: dict[str, list[Ask]] = {
    # Axes: the failures of this e-mail and address, the sweep of expired ones
    # (a SELECT and two DELETEs), the reset of this login's (the same); the
    # account; the new session (exists?, INSERT, then UPDATE, each INSERT and
    # UPDATE in a transaction); last_login; the applicant's two device tables
    # (has two-factor authentication?).
    "accounts:login": [
        Ask(
            "anonymous",
            "post",
            lambda w: reverse("accounts:login"),
            18,
            302,
            data=lambda w: {
                "username": w.applicant.user.email,
                "password": factories.DEFAULT_PASSWORD,
            },
        )
    ],
    # Session and user; Axes's sweep of expired failures (a SELECT and two
    # DELETEs); the session, read again and deleted.
    "accounts:logout": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:logout"),
            7,
            302,
            before=_failed_logins_yesterday,  # logging in swept the world's
        )
    ],
    # Session and user; the e-mail's outbox row, in a transaction.
    "accounts:email_resend": [
        Ask("newcomer", "post", lambda w: reverse("accounts:email_resend"), 5, 302)
    ],
    # Session and user; the account locked and saved, in two nested transactions.
    "accounts:email_confirm": [
        Ask("newcomer", "get", lambda w: confirm_path(w.newcomer.email), 8, 302)
    ],
    # Session and user; the pending code, its try counted; in a transaction:
    # the number's row (get_or_create: 2 queries and a nested transaction) locked,
    # the accounts it confirms counted, the code used, the account saved.
    "accounts:phone_confirm": [
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("accounts:phone_confirm"),
            14,
            302,
            data=lambda w: {"code": sms_code(w.newcomer.phone)},
        )
    ],
    # Session and user; the pending code; in a transaction: the account locked,
    # the last code (cool-down), the earlier codes expired, the new one inserted
    # then given its hash, its SMS's outbox row.
    "accounts:phone_code_resend": [
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("accounts:phone_code_resend"),
            11,
            302,
            before=_codes_sent_a_while_ago,
        )
    ],
    # The accounts with that address (no session yet), and the e-mail owed to it
    # through the outbox (one INSERT; sent once the request commits).
    "accounts:password_reset": [
        Ask(
            "anonymous",
            "post",
            lambda w: reverse("accounts:password_reset"),
            2,
            302,
            data=lambda w: {"email": w.applicant.user.email},
        )
    ],
    "accounts:password_reset_done": [
        Ask("anonymous", "get", lambda w: reverse("accounts:password_reset_done"), 0, 200)
    ],
    "accounts:password_reset_confirm": [
        # The account; the session that keeps the token (exists?, INSERT, in a transaction).
        Ask("anonymous", "get", _reset_link, 5, 302, label="link"),
        # Session; the account.
        Ask("anonymous", "get", _set_password_page, 2, 200, label="form"),
        # Session; the account, saved; in a transaction: the change audited and the
        # six tokens revoked (their ids, one DELETE, an audit row; nested); the
        # login's failures lifted (a SELECT, two DELETEs); the session saved.
        Ask(
            "anonymous",
            "post",
            _set_password_page,
            17,
            302,
            data=lambda w: {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        ),
    ],
    "accounts:password_reset_complete": [
        Ask("anonymous", "get", lambda w: reverse("accounts:password_reset_complete"), 0, 200)
    ],
    "accounts:password_change": [
        Ask("applicant", "get", lambda w: reverse("accounts:password_change"), 2, 200),
        # Session and user; the account saved; in a transaction: the change audited
        # and the six tokens revoked (as above); the session's new key (exists?,
        # INSERT), the old one read and deleted, the new one saved.
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:password_change"),
            20,
            302,
            data=lambda w: {
                "old_password": factories.DEFAULT_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        ),
    ],
    "accounts:password_change_done": [
        Ask("applicant", "get", lambda w: reverse("accounts:password_change_done"), 2, 200)
    ],
    "accounts:otp_setup": [
        # Session and user; the two device tables (a device already?); in a
        # transaction, the unconfirmed devices dropped and a new one made; whether
        # one is confirmed (the page says "replace"); the session saved.
        Ask("applicant", "get", lambda w: reverse("accounts:otp_setup"), 12, 200),
        # Session and user; the two device tables; the device in the session, read
        # again by the service and saved by its check of the code; in a transaction:
        # confirmed, the other devices deleted, the backup codes' device
        # (get_or_create) and its ten codes (one DELETE, one INSERT), an audit row;
        # the other sessions and the tokens ended (the session generation bumped and
        # read back, the tokens looked for, an audit row); the session's new key,
        # the old one deleted, the new one saved.
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:otp_setup"),
            35,
            302,
            data=lambda w: {"code": totp_code(_setup_device(w))},
            before=lambda w: w.client.get(reverse("accounts:otp_setup")),
        ),
    ],
    "accounts:otp_verify": [
        # Session and user; the agent's authenticator (a device to check?).
        Ask("agent, password only", "get", lambda w: reverse("accounts:otp_verify"), 3, 200),
        # Session, user, device; the device locked and saved, in a transaction; the
        # session's new key, the old one deleted, the new one saved.
        Ask(
            "agent, password only",
            "post",
            lambda w: reverse("accounts:otp_verify"),
            16,
            302,
            data=lambda w: {"code": totp_code(TOTPDevice.objects.get(user=w.agent))},
        ),
    ],
    "accounts:otp_disable": [
        # Session, user and the OTP device of a verified session.
        Ask("secured", "get", lambda w: reverse("accounts:otp_disable"), 3, 200),
        # Session, user, device; in a transaction: each device table counted then
        # deleted (the backup codes' device: read, its codes and itself deleted),
        # an audit row; the session saved.
        Ask(
            "secured",
            "post",
            lambda w: reverse("accounts:otp_disable"),
            15,
            302,
            data=lambda w: {"password": factories.DEFAULT_PASSWORD},
        ),
    ],
    # Session and user; the DELETE and its audit row, in a transaction.
    "accounts:token_revoke": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:token_revoke", args=[w.token.pk]),
            6,
            302,
        )
    ],
}

WEBHOOK_ROUTES: dict[str, list[Ask]] = {
    # One UPDATE of the message Twilio names.
    "notifications:twilio_status": [
        Ask(
            "twilio",
            "post",
            lambda w: reverse("notifications:twilio_status"),
            1,
            204,
            data=lambda w: {"MessageSid": w.sms.provider_id, "MessageStatus": "delivered"},
            headers=_twilio_signed,
        )
    ],
    # The opt-out (get_or_create: 2 queries and a transaction); one UPDATE of the
    # alerts owed to the number.
    "notifications:twilio_inbound": [
        Ask(
            "twilio",
            "post",
            lambda w: reverse("notifications:twilio_inbound"),
            5,
            200,
            data=lambda w: {"From": w.phone, "Body": "STOP"},
            headers=_twilio_signed,
        )
    ],
}

STAFF_ROUTES: dict[str, list[Ask]] = {
    # Staff session (3); the sites chosen; in a transaction: the address free?, the
    # account, its sites (read, one INSERT), read again for the audit row, the
    # invitation's outbox row (nested).
    "staff:create": [
        Ask(
            "supervisor",
            "post",
            lambda w: reverse("staff:create"),
            15,
            302,
            data=lambda w: {
                "email": "new.agent@example.test",
                "full_name": "Awa Diop",
                "role": Role.AGENT,
                "sites": list(w.agent.sites.values_list("pk", flat=True)),
            },
        )
    ],
    # Staff session (3); the account with its sites (the staff list's query); in a
    # transaction: the UPDATE, its sessions ended (the generation bumped and
    # read, its two tokens revoked: ids, one DELETE, an audit row; the
    # sessions' audit row), an audit row.
    "staff:deactivate": [
        Ask("supervisor", "post", lambda w: reverse("staff:deactivate", args=[w.agent.pk]), 15, 302)
    ],
    # Staff session (3); the account with its sites; the UPDATE and an audit row,
    # in a transaction.
    "staff:reactivate": [
        Ask("supervisor", "post", lambda w: reverse("staff:reactivate", args=[w.closed.pk]), 9, 302)
    ],
    # Staff session (3); the account with its sites; the outbox row, in a transaction.
    "staff:invitation": [
        Ask("supervisor", "post", lambda w: reverse("staff:invitation", args=[w.agent.pk]), 8, 302)
    ],
    # Staff session (3); the account with its sites; in a transaction: each device
    # table counted then deleted (as for turning it off), an audit row; the sessions
    # ended (the generation bumped and read back, an audit row) and the agent's
    # tokens revoked (looked for, deleted, an audit row).
    "staff:otp_reset": [
        Ask("supervisor", "post", lambda w: reverse("staff:otp_reset", args=[w.agent.pk]), 22, 302)
    ],
    # Staff session (3); the export's audit row; one cursor over every row.
    "audit:export": [Ask("supervisor", "get", lambda w: reverse("audit:export"), 5, 200)],
}

IDENTITY = {
    "surname": "Traoré",
    "given_names": "Moussa",
    "birth_date": "17/05/1990",
    "nationality": "ML",
    "document_type": "agdref",
    "document_number": "93 12 345 678",
    "certify": "on",
}


def _identity_recorded(world: World) -> None:
    """The newcomer recorded an identity that no appointment uses yet."""
    user = world.newcomer
    applicant_create(
        actor=user,
        user=user,
        identity=Identity(
            surname=IDENTITY["surname"],
            given_names=IDENTITY["given_names"],
            birth_date=date(1990, 5, 17),
            nationality=IDENTITY["nationality"],
            document_type=IDENTITY["document_type"],
            document_number=IDENTITY["document_number"],
        ),
    )


def _identity_corrected(applicant: Applicant, **changes) -> dict:
    data = {
        "surname": applicant.surname,
        "given_names": applicant.given_names,
        "birth_date": applicant.birth_date.isoformat(),
        "nationality": str(applicant.nationality),
        "document_type": applicant.document_type,
        "document_number": applicant.document_number,
    }
    return {**data, **changes}


def _sites_moved(world: World) -> dict:
    """The agent's sites but one, and the two new ones."""
    first = world.agent.sites.order_by("pk").first()
    return {
        "full_name": "Awa Diop",
        "role": Role.AGENT,
        "sites": list(Site.objects.exclude(pk=first.pk).values_list("pk", flat=True)),
    }


# The actions of forms whose page (GET) another module bounds: what a person sends.
FORM_ROUTES: dict[str, list[Ask]] = {
    # No session yet. In a transaction: the address free?, the account, its link's
    # outbox row (nested), its first code as for a resend (the account locked, the
    # last code, earlier codes expired, the new one inserted then given its hash, its
    # SMS's outbox row; nested), an audit row. The login: the new session (exists?,
    # INSERT, in a transaction); Axes's sweep of expired failures (a SELECT, two
    # DELETEs) and the reset of this login's (a SELECT); last_login; the two device
    # tables; the session saved, in a transaction.
    "accounts:register": [
        Ask(
            "anonymous",
            "post",
            lambda w: reverse("accounts:register"),
            30,
            302,
            data=lambda w: {
                "email": "Amina.Diallo@Example.test",
                "password": NEW_PASSWORD,
                "phone": "06 12 34 56 78",
                "consent": "on",
            },
        )
    ],
    # Session and user; the address free?; the outbox row of the link to it, in two
    # nested transactions.
    "accounts:email_change": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:email_change"),
            8,
            302,
            data=lambda w: {"email": "new.address@example.test"},
        )
    ],
    # Session and user; in a transaction: the account locked, the last code
    # (cool-down), the earlier codes expired, the new one inserted then given its
    # hash, its SMS's outbox row.
    "accounts:phone_change": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:phone_change"),
            10,
            302,
            data=lambda w: {"phone": "07 98 76 54 32"},
        )
    ],
    # Session and user; in a transaction: the identity, its future appointments, each
    # cancelled in a nested transaction (locked, read, cancelled, its seat freed, the
    # message saying so, the freed seat's alert owed, an audit row: 9 queries per
    # appointment, 4 appointments here: the persona's own and the world's three),
    # the deletion's audit row; the identity's messages blanked, whether
    # appointments point to it, its alerts (read, their sites and them deleted), the
    # identity erased; the account's messages blanked; the account read and deleted
    # with what points to it (its backup codes' device looked for, 7 tables deleted
    # from, 6 set to NULL). Then whether the identity stayed; Axes's sweep (a SELECT,
    # two DELETEs) and the session read and deleted, at the logout. The record of
    # attempts: the erased identity's searches and records deleted (2), the records
    # the account issued for others kept without it (1 set to NULL). Substitution
    # requests the account handled (1 set to NULL).
    # Mediation's consents, counters and cap raises refer to accounts too (the
    # merge of issue 17's branches: 81 measured, the two bounds they had were 76 and 77).
    # Closures name who closed and who lifted them (2 more set to NULL); the
    # counter who checked in, court orders who recorded and convoked (3 more).
    # The waiting list's entries name who joined them (set to NULL), allocation
    # modes who set them (2 more); suspended accounts who suspended them (1 more).
    "accounts:delete": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:delete"),
            89,
            302,
            data=lambda w: {"password": factories.DEFAULT_PASSWORD},
            before=_failed_logins_yesterday,  # logging in swept the world's
        )
    ],
    "booking:identity": [
        # Session and user; the identity (none: the view), again (the service); the
        # identity and its audit row, in a transaction.
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("booking:identity"),
            8,
            302,
            data=lambda w: IDENTITY,
            label="new",
        ),
        # Session and user; the identity and whether an appointment uses it; in a
        # transaction: both again, the identity locked this time, the UPDATE (nested),
        # an audit row.
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("booking:identity") + "?edit",
            12,
            302,
            data=lambda w: {**IDENTITY, "given_names": "Moussa Ibrahim"},
            before=_identity_recorded,
            label="correction",
        ),
    ],
    # Session and user; the procedure, the identity, its alert for the procedure
    # (for the page: unused by a POST), the sites chosen; in a transaction: the alert
    # (update_or_create: a SELECT, an INSERT; in two nested transactions), its sites
    # (read, one INSERT).
    "notifications:alert_subscribe": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("notifications:alert_subscribe", args=[w.procedure.slug]),
            16,
            302,
            data=lambda w: {
                "consent": "yes",
                "sites": list(w.agent.sites.values_list("pk", flat=True)),
                "channels": "both",
            },
        )
    ],
    # No session: the signed link is the proof. The alert; one UPDATE of it and one
    # of the alerts still owed for it.
    "notifications:alert_unsubscribe": [
        Ask(
            "anonymous",
            "post",
            lambda w: reverse(
                "notifications:alert_unsubscribe", args=[unsubscribe_token(w.subscription.pk)]
            ),
            3,
            200,
        )
    ],
    # Staff session (3); the account with its sites (the staff list's query); the
    # sites chosen; in a transaction: the account locked, its sites (for the audit
    # row), the UPDATE, its sites (read, one DELETE, one INSERT), read again for the
    # audit row, an audit row; the sessions ended and the tokens revoked (as for
    # staff:otp_reset: 6 queries).
    "staff:edit": [
        Ask(
            "supervisor",
            "post",
            lambda w: reverse("staff:edit", args=[w.agent.pk]),
            22,
            302,
            data=_sites_moved,
            before=lambda w: factories.SiteFactory.create_batch(2),
        )
    ],
    # Staff session (3); an authenticator?; in a transaction: the backup codes' device
    # (get_or_create: found), its codes (one DELETE, one INSERT). The page shows the
    # new codes (a 200, not a redirect: they are shown once) and how many are left
    # (the device, a COUNT).
    "accounts:otp_backup_codes": [
        Ask("agent", "post", lambda w: reverse("accounts:otp_backup_codes"), 11, 200)
    ],
    # Staff session (3); in a transaction: the login's failures (a SELECT; its three
    # addresses' deleted in two DELETEs), its account for the audit row, an audit row.
    "accounts:lockouts": [
        Ask(
            "supervisor",
            "post",
            lambda w: reverse("accounts:lockouts"),
            10,
            302,
            data=lambda w: {"email": w.applicant.user.email},
        )
    ],
    # Staff session (3); the identity; may the agent correct it (an appointment at one
    # of their sites?), asked by the view then by the service; in a transaction: the
    # identity locked, the UPDATE (nested), its account for the audit row, an audit row.
    "agent:identity_correct": [
        Ask(
            "agent",
            "post",
            lambda w: reverse("agent:identity_correct", args=[w.applicant.pk]),
            14,
            302,
            data=lambda w: {
                **_identity_corrected(w.applicant, given_names="Aminata Fatou"),
                "reason": "Given names swapped on the form; checked on the residence permit.",
            },
        )
    ],
}


def _newcomer_verified(world: World) -> None:
    """The newcomer confirmed their e-mail address and phone: they may take over a file."""
    User.objects.filter(pk=world.newcomer.pk).update(
        email_verified_at=timezone.now(), phone_verified_at=timezone.now()
    )


def _walk_in_proofs(world: World) -> dict:
    """The proofs of the persona world's walk-in (booked for by the point's mediator)."""
    walk_in = Applicant.objects.filter(user=None).order_by("pk").first()
    return {
        "reference": walk_in.appointments.get().reference,
        "birth_date": walk_in.birth_date.isoformat(),
        "document_number": walk_in.document_number,
    }


# Taking over a walk-in's file, as the newcomer (verified, no identity yet).
CLAIM_ROUTES: dict[str, list[Ask]] = {
    "booking:identity_claim": [
        # Session and user; the identity (none).
        Ask(
            "newcomer",
            "get",
            lambda w: reverse("booking:identity_claim"),
            3,
            200,
            before=_newcomer_verified,
            label="page",
        ),
        # Session and user; the identity (none: the view), again (the service); in a
        # transaction: the file by its reference, locked; the UPDATE; an audit row.
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("booking:identity_claim"),
            9,
            302,
            data=_walk_in_proofs,
            before=_newcomer_verified,
        ),
    ],
    # Session and user; an identity? (the service); in a transaction: the file by its
    # reference, locked; the UPDATE; an audit row; the file's appointments, read back.
    "api:identity-claim": [
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("api:identity-claim"),
            9,
            200,
            data=_walk_in_proofs,
            before=_newcomer_verified,
            headers=lambda w, url, data: {"content_type": "application/json"},
        )
    ],
}


def _own_reference(world: World) -> str:
    return world.applicant.appointments.order_by("pk").first().reference


# The convocation: the session and user (a staff session: its device too), the rate
# limit (cache, no query), the appointment with its slot, site, procedure and
# applicant in one query. Staff printing for someone: its audit row, in a transaction
# (savepoint, INSERT, release).
CONVOCATION_ROUTES: dict[str, list[Ask]] = {
    "booking:convocation": [
        Ask(
            "applicant",
            "get",
            lambda w: reverse("booking:convocation", args=[_own_reference(w)]),
            3,
            200,
            label="own",
        ),
        Ask(
            "agent",
            "get",
            lambda w: reverse("booking:convocation", args=[_own_reference(w)]),
            7,
            200,
            label="staff, audited",
        ),
    ],
    "booking:convocation_pdf": [
        Ask(
            "applicant",
            "get",
            lambda w: reverse("booking:convocation_pdf", args=[_own_reference(w)]),
            3,
            200,
            label="own",
        ),
        Ask(
            "supervisor",
            "get",
            lambda w: reverse("booking:convocation_pdf", args=[_own_reference(w)]),
            7,
            200,
            label="staff, audited",
        ),
    ],
    # The token with its account, recording its use; the appointment.
    "api:appointment-convocation": [
        Ask(
            "api client",
            "get",
            lambda w: reverse("api:appointment-convocation", args=[_own_reference(w)]),
            3,
            200,
        )
    ],
}

OTHER_ROUTES: dict[str, list[Ask]] = {
    # The cookie, and for a logged-in account its language: the session, the user,
    # in a transaction (savepoint and release here) the account's UPDATE and its
    # identity's (accounts.hooks.language_chosen). A visitor's choice: no query.
    "set_language": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("set_language"),
            6,
            302,
            data=lambda w: {"language": "en", "next": reverse("booking:my_appointments")},
            label="account",
        ),
        Ask(
            "anonymous",
            "post",
            lambda w: reverse("set_language"),
            0,
            302,
            data=lambda w: {"language": "en", "next": reverse("home")},
            label="visitor",
        ),
    ],
}

# The waiting list's routes (issue 19), one block per part.
WAITLIST_ROUTES: dict[str, list[Ask]] = {
    # --- Fair allocation: the applicant's waiting-list pages and the offer link (h-wpages)
    # (end of h-wpages)
    # --- Fair allocation: the staff's waiting-list screens, allocation modes (h-wstaff)
    # (end of h-wstaff)
    # --- Fair allocation: the waiting-list and offers API (h-wapi)
    # (end of h-wapi)
    # --- Fair allocation: the proof-of-work challenge (h-altcha)
    # A challenge: signing and a rate-limit count, no query.
    "api:challenge": [
        Ask("anonymous", "get", lambda w: reverse("api:challenge"), 0, 200, label="challenge")
    ],
    # (end of h-altcha)
    # --- Fair allocation: the abuse report and suspensions (h-abuse)
    # (end of h-abuse)
    # --- Fair allocation: transparency (h-transp)
    # (end of h-transp)
}

BOUNDED_HERE = {
    **WAITLIST_ROUTES,
    **API_ROUTES,
    **ACCOUNT_ROUTES,
    **WEBHOOK_ROUTES,
    **STAFF_ROUTES,
    **FORM_ROUTES,
    **CLAIM_ROUTES,
    **CONVOCATION_ROUTES,
    **OTHER_ROUTES,
}


def _params() -> Iterator:
    for route, asks in BOUNDED_HERE.items():
        for ask in asks:
            name = f"{route} {ask.method.upper()}" + (f" ({ask.label})" if ask.label else "")
            yield pytest.param(route, ask, id=name)


@pytest.mark.parametrize(("route", "ask"), list(_params()))
def test_route_takes_a_bounded_number_of_queries(world, route, ask, django_assert_max_num_queries):
    headers = _as(world, ask.who)
    if ask.before is not None:
        ask.before(world)
    url = ask.url(world)
    assert resolve(urlsplit(url).path).view_name == route
    data = ask.data(world) if ask.data is not None else {}
    if ask.headers is not None:
        headers = {**headers, **ask.headers(world, url, data)}
    send = getattr(world.client, ask.method)
    args = (url, data) if data else (url,)

    with django_assert_max_num_queries(ask.bound):
        response = send(*args, **headers)
        if response.streaming:  # the rows are read as the answer is sent
            b"".join(response.streaming_content)

    assert response.status_code == ask.status, (url, response.status_code)


# --- Every route has a bound ------------------------------------------------------------------

# Routes bounded in another module: the test that bounds them. Many also have their
# form's action bounded here (``FORM_ROUTES``; the login, the password reset, the
# staff creation): a route needs a bound in one place or the other, not both.
_BY_TEST = {
    "tests/test_query_counts.py::test_applicant_page_takes_a_bounded_number_of_queries": [
        "home",
        "accessibility",
        "booking:procedures",
        "booking:sites",
        "booking:days",
        "booking:times",
        "booking:confirm",
        "booking:identity",
        "booking:my_appointments",
        "booking:appointment_detail",
        "booking:appointment_ics",
        "booking:appointment_cancel",
        "booking:appointment_reschedule",
        "booking:appointment_reschedule_confirm",
        "accounts:me",
        "accounts:email_change",
        "accounts:phone_change",
        "accounts:data_export",
        "accounts:delete",
        "accounts:verify",
        "notifications:alerts",
        "notifications:alert_subscribe",
        "notifications:alert_unsubscribe",
        "mediation:points",
        "mediation:substitution",
    ],
    "tests/test_query_counts.py::test_anonymous_page_takes_a_bounded_number_of_queries": [
        "site_map",
        "accounts:login",
        "accounts:register",
        "accounts:password_reset",
    ],
    "tests/test_query_counts.py::test_changing_the_language_takes_a_bounded_number_of_queries": [
        "accounts:language"
    ],
    "tests/test_query_counts.py::test_api_read_takes_a_bounded_number_of_queries": [
        "api:sites",
        "api:procedures",
        "api:availability",
        "api:appointments",
        "api:appointment-detail",
        "api:schema",
    ],
    "tests/test_query_counts.py::test_api_cancelling_takes_a_bounded_number_of_queries": [
        "api:appointment-cancel"
    ],
    "tests/test_query_counts.py::test_api_rescheduling_takes_a_bounded_number_of_queries": [
        "api:appointment-reschedule"
    ],
    "tests/test_query_counts.py::test_api_token_takes_a_bounded_number_of_queries": [
        "api:auth-token"
    ],
    "tests/test_query_counts.py::test_api_publication_takes_a_bounded_number_of_queries": [
        "api:agent-publications"
    ],
    "tests/test_query_counts_staff.py::test_staff_page_queries_do_not_grow_with_its_rows": [
        "staff:list",
        "staff:edit",
        "staff:create",
        "accounts:lockouts",
        "accounts:tokens",
        "accounts:otp_backup_codes",
        "agent:identity_correct",
    ],
    "tests/test_query_counts_staff.py::test_api_token_list_queries_do_not_grow_with_the_tokens": [
        "api:auth-tokens"
    ],
    "tests/backoffice/test_audit_search.py::test_query_count_is_bounded_however_many_rows": [
        "audit:search"
    ],
    "tests/substitution/test_query_counts.py::"
    "test_substitution_routes_take_a_bounded_number_of_queries": [
        "substitution:request",
        "substitution:received",
        "substitution:status",
        "substitution_agent:queue",
        "substitution_agent:detail",
        "substitution_agent:take",
        "substitution_agent:book",
        "substitution_agent:answer",
        "substitution_agent:letter",
        "api:substitution-requests",
        "api:substitution-request-status",
    ],
    "tests/backoffice/test_injunction_queries.py::"
    "test_injunction_routes_take_a_bounded_number_of_queries": [
        "agent:injunctions",
        "agent:injunction_new",
        "agent:injunction",
        "agent:injunction_convocation",
        "api:agent-injunctions",
        "api:agent-injunction",
        "api:agent-injunction-convocation",
    ],
    "tests/attempts/test_query_counts.py::test_attempts_pages_take_a_bounded_number_of_queries": [
        "attempts:record",
        "attempts:record_pdf",
        "attempts:record_for_person_page",
        "attempts:record_for_person",
        "attempts:verify_form",
        "attempts:verify",
    ],
    "tests/mediation/test_console_queries.py::test_console_route_queries": [
        "mediation:home",
        "mediation:find",
        "mediation:register",
        "mediation:cap_raise",
        "mediation:hours",
        "mediation:person",
        "mediation:consent_give",
        "mediation:consent_withdraw",
        "mediation:book_procedures",
        "mediation:book_sites",
        "mediation:book_days",
        "mediation:book_confirm",
        "mediation:appointment_cancel",
        "mediation:appointment_reschedule",
        "mediation:appointment_reschedule_confirm",
    ],
    "tests/backoffice/test_counter_queries.py::"
    "test_counter_routes_take_a_bounded_number_of_queries": [
        "agent:day",
        "agent:checkin",
        "agent:checkin_override",
        "agent:done",
        "agent:close_day",
    ],
    "tests/backoffice/test_counter_queries.py::"
    "test_counter_api_takes_a_bounded_number_of_queries": [
        "api:agent-day",
        "api:agent-checkins",
        "api:agent-appointment-done",
        "api:agent-no-shows",
    ],
    "tests/backoffice/test_dashboard.py::test_the_page_queries_are_bounded_whatever_the_data": [
        "agent:dashboard",
        "agent:dashboard_csv",
    ],
    "tests/api/test_dashboard_api.py::test_the_api_queries_are_bounded_whatever_the_data": [
        "api:agent-dashboard"
    ],
    "tests/api/test_agent_people.py::test_the_queries_are_bounded": ["api:agent-people"],
    "tests/api/test_mediation_api.py::test_mediation_api_queries_are_bounded": [
        "api:mediation-applicants",
        "api:mediation-consents",
        "api:mediation-consent",
    ],
    "tests/backoffice/test_closures.py::test_closure_routes_take_a_bounded_number_of_queries": [
        "agent:closures",
        "agent:closure_new",
        "agent:closure",
        "agent:closure_lift",
        "api:agent-closures",
        "api:agent-closure-lift",
    ],
    "tests/backoffice/test_people_queries.py::test_people_route_queries": [
        "agent:search",
        "agent:register",
        "agent:person",
        "agent:book_procedures",
        "agent:book_sites",
        "agent:book_days",
        "agent:book_confirm",
        "agent:appointment_cancel",
        "agent:appointment_reschedule",
        "agent:appointment_reschedule_confirm",
    ],
    "tests/backoffice/test_capacity_pages.py::"
    "test_capacity_pages_take_a_bounded_number_of_queries": [
        "agent:publish",
        "agent:calendar",
        "agent:calendar_day",
    ],
    "tests/api/test_agent_capacity.py::test_agent_capacity_api_takes_a_bounded_number_of_queries": [
        "api:agent-publications-preview",
        "api:agent-calendar",
        "api:agent-slot",
        "api:agent-slots-move",
    ],
    # --- Fair allocation: the applicant's waiting-list pages and the offer link (h-wpages)
    "tests/allocation/test_pages_queries.py::"
    "test_waitlist_pages_take_a_bounded_number_of_queries": [
        "allocation:mine",
        "allocation:join",
        "allocation:leave",
        "allocation:resume",
        "allocation:change",
        "allocation:offer",
        "allocation:offer_link",
    ],
    # (end of h-wpages)
    # --- Fair allocation: the staff's waiting-list screens, allocation modes (h-wstaff)
    "tests/allocation/test_staff_pages_queries.py::"
    "test_staff_waitlist_routes_take_a_bounded_number_of_queries": [
        "mediation:waitlist_join",
        "mediation:waitlist_change",
        "mediation:waitlist_leave",
        "mediation:waitlist_resume",
        "mediation:waitlist_offer_accept",
        "mediation:waitlist_offer_decline",
        "agent:waitlist_join",
        "agent:waitlist_change",
        "agent:waitlist_leave",
        "agent:waitlist_resume",
        "agent:waitlist_permit",
        "agent:waitlist_offer_accept",
        "agent:waitlist_offer_decline",
        "agent:allocation_modes",
    ],
    # (end of h-wstaff)
    # --- Fair allocation: the waiting-list and offers API (h-wapi)
    "tests/api/test_waitlist_api.py::test_waitlist_api_queries_are_bounded": [
        "api:waitlist",
        "api:waitlist-entry",
        "api:waitlist-resume",
        "api:offers",
        "api:offer",
        "api:offer-accept",
        "api:offer-decline",
    ],
    # (end of h-wapi)
    # --- Fair allocation: the proof-of-work challenge (h-altcha)
    # (end of h-altcha)
    # --- Fair allocation: the abuse report and suspensions (h-abuse)
    "tests/backoffice/test_abuse_report.py::test_abuse_routes_take_a_bounded_number_of_queries": [
        "agent:abuse",
        "agent:abuse_csv",
        "agent:abuse_account",
        "agent:abuse_suspend",
        "agent:abuse_lift",
    ],
    # (end of h-abuse)
    # --- susp (helper) ---
    "tests/api/test_suspension_api.py::"
    "test_the_suspension_routes_take_a_bounded_number_of_queries": [
        "api:agent-suspensions",
        "api:agent-account-suspend",
        "api:agent-account-lift",
    ],
    # --- end susp ---
    # --- Fair allocation: transparency (h-transp)
    "tests/allocation/test_transparency.py::"
    "test_transparency_takes_a_bounded_number_of_queries_whatever_the_data": [
        "allocation:transparency",
        "api:transparency",
    ],
    # (end of h-transp)
}
BOUNDED_ELSEWHERE = {route: test for test, routes in _BY_TEST.items() for route in routes}

QUERY_GUARDS = (
    "django_assert_max_num_queries",
    "django_assert_num_queries",
    "CaptureQueriesContext",
)


def _routes(patterns, namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, inner)
        elif pattern.name:  # not the ``^api/`` catch-all nor the static files
            yield namespace + pattern.name


def _counts_queries(function: Callable) -> bool:
    """The test counts queries itself or through a helper of its module."""
    module = inspect.getmodule(function)
    called = {
        node.func.id
        for node in ast.walk(ast.parse(inspect.getsource(function)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    helpers = [
        getattr(module, name)
        for name in called
        if inspect.isfunction(getattr(module, name, None))
        and getattr(module, name).__module__ == module.__name__
    ]
    return any(
        guard in inspect.getsource(each) for each in (function, *helpers) for guard in QUERY_GUARDS
    )


def test_every_route_has_a_query_bound():
    routes = {
        name for name in _routes(get_resolver().url_patterns) if not name.startswith("admin:")
    }
    problems = [
        f"{route}: no query bound (add it to a table here or to BOUNDED_ELSEWHERE)"
        for route in sorted(routes - set(BOUNDED_HERE) - set(BOUNDED_ELSEWHERE))
    ]
    problems += [
        f"{route}: bounded here but no longer a route"
        for route in sorted(set(BOUNDED_HERE) - routes)
    ]
    for route, reference in sorted(BOUNDED_ELSEWHERE.items()):
        if route not in routes:
            problems.append(f"{route}: in BOUNDED_ELSEWHERE but no longer a route")
        path, _, name = reference.partition("::")
        try:
            module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        except ImportError:
            problems.append(f"{route}: {reference}: no such module")
            continue
        function = getattr(module, name, None)
        if not inspect.isfunction(function):
            problems.append(f"{route}: {reference} does not exist")
        elif not _counts_queries(function):
            problems.append(f"{route}: {reference} counts no queries")

    assert not problems, "\n".join(problems)
