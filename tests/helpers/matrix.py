"""The permission matrix: every URL of the project, what each persona gets there.

``MATRIX`` maps each URL pattern (its namespaced name, or its route) to its
cases; each case says what every persona of ``tests/personas.py`` gets, asked
in the persona world. ``admin_rule`` is the one rule of the admin's patterns,
``ADMIN_SAMPLES`` what the administrator gets. ``Personas`` holds one logged-in
client per persona and ``ask`` asks a case as one of them, in a savepoint that
is rolled back. The matrix itself is ``tests/test_permission_matrix.py``; the
route fuzzer (``tests/test_fuzz_routes.py``) walks the same routes and clients.

Outcomes: a status code, or ``LOGIN`` (a redirect to the login page),
``ADMIN_LOGIN``, ``OTP`` (to the second-factor pages), ``REDIRECT`` (any other).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from attempts.services import record_issue
from booking.models import Applicant, Appointment, Closure, Injunction, Publication, Slot
from mediation.models import Consent
from notifications.models import AlertSubscription
from notifications.services import unsubscribe_token
from substitution.models import SubstitutionRequest
from tests.auth import login
from tests.helpers import waitlist_api_world, wstaff
from tests.helpers.waitlist_pages import waitlist_state
from tests.personas import ADMINISTRATOR, PERSONAS, World

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
OTP = "otp"
REDIRECT = "redirect"
REFUSALS = (LOGIN, ADMIN_LOGIN, OTP)


def outcomes(default: Any, **overrides: Any) -> dict[str, Any]:
    """Every persona gets ``default`` except those named."""
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, unknown
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


def applicant_page(own: Any = 200, other: Any = None) -> dict[str, Any]:
    """Applicants' pages: log in first; staff get the 'your screens are elsewhere' 403."""
    return outcomes(
        403,
        anonymous=LOGIN,
        applicant=own,
        other_applicant=own if other is None else other,
    )


def logged_in(status: Any = 200) -> dict[str, Any]:
    return outcomes(status, anonymous=LOGIN)


def supervisors_only(status: Any = 200, refused: Any = 403) -> dict[str, Any]:
    return outcomes(refused, anonymous=LOGIN, supervisor=status)


@dataclass(frozen=True)
class Case:
    expect: dict[str, Any]
    kwargs: Callable[[World], dict] = lambda s: {}
    method: str = "GET"
    data: Callable[[World], dict] | None = None
    query: Callable[[World], dict] | None = None
    label: str = ""
    path: Callable[[World], str] | None = None  # for a pattern that has no name


# --- The matrix ---------------------------------------------------------------------------

PUBLIC = outcomes(200)
ANY_REDIRECT = outcomes(REDIRECT)
# API: no credentials is 401 (token authentication comes first and says so).
API_READ = outcomes(200, anonymous=401)


def api_writes(**granted: Any) -> dict[str, Any]:
    """API writes on an appointment: what ``granted`` get; anyone else does not see
    it (a 404), the anonymous visitor is not authenticated (401)."""
    return outcomes(404, anonymous=401, **granted)


def api_mediators(granted: Any, **others: Any) -> dict[str, Any]:
    """The mediation API: mediators of a point get ``granted`` (or what ``others``
    says); everyone else is refused (403 ``mediators_only``)."""
    return outcomes(
        403, anonymous=401, **{"mediator": granted, "other_mediator": granted, **others}
    )


def _consent(s: World) -> dict:
    return {
        "given_by": "person",
        "method": "oral",
        "purposes": ["booking"],
        "valid_until": s.slots["free"].starts_at.date().isoformat(),
    }


def _walk_in_identity(s: World) -> dict:
    return {
        "surname": "Traoré",
        "given_names": "Mariam",
        "birth_date": "1985-03-02",
        "nationality": "ML",
        "document_type": "passport",
        "document_number": "AB123456",
    }


def api_visible(**seen: Any) -> dict[str, Any]:
    """An appointment through the API: 200 for who may see it, 404 for anyone else."""
    return outcomes(404, anonymous=401, **dict.fromkeys(seen, 200))


def _ref(name: str) -> Callable[[World], dict]:
    return lambda s: {"reference": s.appointments[name].reference}


def _walk_in_proofs(s: World, **changes: str) -> dict:
    """What takes over the walk-in's file: its reference, date of birth and document."""
    walk_in = s.people["walk_in"]
    return {
        "reference": s.appointments["walk_in"].reference,
        "birth_date": walk_in.birth_date.isoformat(),
        "document_number": walk_in.document_number,
        **changes,
    }


def _publication(s: World) -> dict:
    tomorrow = s.slots["free"].starts_at.date()
    return {
        "site": s.sites["site"].slug,
        "procedure": s.procedure.slug,
        "date_from": tomorrow.isoformat(),
        "date_to": tomorrow.isoformat(),
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "opening_ranges": [{"start": "06:00", "end": "07:00"}],
        "slot_minutes": 20,
        "counters": 2,
    }


def counter(granted: Any, **others: Any) -> dict[str, Any]:
    """The counter's pages: agents and supervisors get ``granted`` (or what
    ``others`` says); anyone else logged in 403."""
    return outcomes(
        403,
        anonymous=LOGIN,
        **{"agent": granted, "other_agent": granted, "supervisor": granted, **others},
    )


def counter_api(granted: Any, **others: Any) -> dict[str, Any]:
    """The counter's API: as ``counter``, 401 without credentials (403 ``agents_only``)."""
    return {**counter(granted, **others), "anonymous": 401}


def _counter_day(s: World) -> dict:
    return {"site": s.sites["site"].slug, "date": timezone.localdate().isoformat()}


def _publish_form(s: World, action: str) -> dict:
    """The publish page's form: the free slot's day, one range, at the site."""
    day = s.slots["free"].starts_at.date().isoformat()
    return {
        "action": action,
        "site": s.sites["site"].pk,
        "procedure": s.procedure.pk,
        "date_from": day,
        "date_to": day,
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "range_1_start": "06:00",
        "range_1_end": "07:00",
        "slot_minutes": "20",
        "counters": "2",
        "mediation_counters": "0",
        "priority_counters": "0",
        "visibility": "now",
    }


def _calendar_day(s: World) -> dict:
    slot = s.slots["free"]
    day = timezone.localdate(slot.starts_at).isoformat()
    return {"site": "site", "procedure": "procedure", "day": day}


_STAFF_TARGET = {"kwargs": lambda s: {"user_id": s.colleague.pk}}


_TRACKING = {
    ("site", False): "SSSSSSSSS2",
    ("other_site", False): "SSSSSSSSS3",
    ("none", False): "SSSSSSSSS4",
    ("site", True): "SSSSSSSSS5",
}


def closure_at(s: World, where: str) -> Closure:
    """A closure of ``where`` (a site of the world), made once per world: a row
    (no slot in its range), enough to see and lift it."""
    start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    found, _created = Closure.objects.get_or_create(
        site=s.sites[where],
        starts_at=start.replace(hour=0, minute=0, second=0),
        ends_at=start.replace(hour=23, minute=0, second=0),
        defaults={"kind": "strike", "reason": "Grève", "created_by": s.users["agent"]},
    )
    return found


def _closure_form(s: World) -> dict:
    day = (timezone.localdate() + timedelta(days=30)).isoformat()
    return {"site": s.sites["site"].pk, "date_from": day, "kind": "strike", "reason": "Grève"}


def _closure_api(s: World) -> dict:
    start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    return {
        "site": s.sites["site"].slug,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "kind": "strike",
        "reason": "Grève",
        "preview": True,
    }


def substitution_request(s: World, where: str, *, answered: bool = False) -> SubstitutionRequest:
    """A substitution request wishing ``where`` (a site of the world, or ``"none"``),
    made once per world (kept for the rest of the test), open or answered."""
    site = None if where == "none" else s.sites[where]
    tracking = _TRACKING[where, answered]
    now = timezone.now()
    found, _created = SubstitutionRequest.objects.get_or_create(
        tracking=tracking,
        defaults={
            "surname": "Diallo",
            "given_names": "Awa",
            "birth_date": date(1990, 1, 2),
            "nationality": "ML",
            "document_type": "agdref",
            "document_number": "9399999999",
            "identity_key": "agdref:9399999999",
            "procedure": s.procedure,
            "site": site,
            "reason": "nothing_free",
            "email": "awa@example.test",
            "created_at": now,
            "due_at": now + timedelta(days=15),
            **(
                {"state": "answered", "outcome": "referred", "answer": "OFII", "answered_at": now}
                if answered
                else {}
            ),
        },
    )
    return found


def _request_at(where: str, *, answered: bool = False) -> Callable[[World], dict]:
    return lambda s: {"pk": substitution_request(s, where, answered=answered).pk}


def _substitution_form(s: World) -> dict:
    return {
        "surname": "Diallo",
        "given_names": "Awa",
        "birth_date": "1990-01-02",
        "nationality": "ML",
        "document_type": "agdref",
        "document_number": "9388888888",
        "procedure": s.procedure.pk,
        "site": s.sites["site"].pk,
        "reason": "nothing_free",
        "email": "awa@example.test",
        "language": "fr",
    }


def _substitution_api(s: World) -> dict:
    return {
        **_substitution_form(s),
        "procedure": s.procedure.slug,
        "site": s.sites["site"].slug,
    }


SUBSTITUTION_STAFF = outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)


# --- Court-ordered convocations ------------------------------------------------------------

_CASE_NUMBERS = {"site": "MATRIX-1", "other_site": "MATRIX-2"}


def injunction_at(s: World, where: str) -> Injunction:
    """A court order to be served at ``where`` (a site of the world), for a walk-in of its
    own, not served: made once per world (kept for the rest of the test)."""
    existing = Injunction.objects.filter(case_number=_CASE_NUMBERS[where]).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    person = Applicant(
        surname="Konaté",
        given_names="Issa",
        birth_date=date(1988, 6, 1),
        nationality="ML",
        document_type="passport",
        document_number=f"MX{len(where)}77777",
        phone="+33698765432",
    )
    person.save()
    return Injunction.objects.create(
        court="Tribunal administratif de Montreuil",
        case_number=_CASE_NUMBERS[where],
        ordered_on=today - timedelta(days=2),
        deadline=today + timedelta(days=10),
        applicant=person,
        procedure=s.procedure,
        site=s.sites[where],
    )


def _injunction(where: str, key: str = "pk") -> Callable[[World], dict]:
    return lambda s: {key: injunction_at(s, where).pk}


def _injunction_api(s: World) -> dict:
    today = timezone.localdate()
    return {
        "applicant": s.people["walk_in"].pk,
        "court": "Tribunal administratif de Montreuil",
        "case_number": "MATRIX-API",
        "ordered_on": (today - timedelta(days=1)).isoformat(),
        "deadline": (today + timedelta(days=10)).isoformat(),
        "procedure": s.procedure.slug,
        "site": s.sites["site"].slug,
    }


INJUNCTION_STAFF = outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)


def console(mediator: Any = 200, other: Any = None, supervisor: Any = 403) -> dict[str, Any]:
    """The mediators' console: log in first; the point's mediator gets ``mediator``, the
    other point's ``other`` (the same by default), everyone else the 403 page."""
    return outcomes(
        403,
        anonymous=LOGIN,
        mediator=mediator,
        other_mediator=mediator if other is None else other,
        supervisor=supervisor,
    )


def office(agent: Any = 200, other_agent: Any = None, supervisor: Any = None) -> dict[str, Any]:
    """The agents' pages: log in first; agents and supervisors get what is said (the
    other site's agent and the supervisor as the site's by default), everyone else 403."""
    return outcomes(
        403,
        anonymous=LOGIN,
        agent=agent,
        other_agent=agent if other_agent is None else other_agent,
        supervisor=agent if supervisor is None else supervisor,
    )


def _person(name: str) -> Callable[[World], dict]:
    return lambda s: {"pk": s.people[name].pk}


def _person_appointment(name: str) -> Callable[[World], dict]:
    return lambda s: {"pk": s.people[name].pk, "reference": s.appointments[name].reference}


def _walk_in_found(s: World) -> dict:
    walk_in = s.people["walk_in"]
    return {
        "by": "document",
        "document-document_number": walk_in.document_number,
        "document-birth_date": walk_in.birth_date.isoformat(),
    }


def seen_by(*personas: str) -> dict[str, Any]:
    """A page of an appointment: 200 for who may see it, 404 for anyone else."""
    return outcomes(404, anonymous=LOGIN, **dict.fromkeys(personas, 200))


def _convocation_cases(api: bool = False) -> list[Case]:
    visible = api_visible if api else lambda **seen: seen_by(*seen)
    return [
        Case(visible(applicant=1, agent=1, supervisor=1), kwargs=_ref("own"), label="own"),
        Case(
            visible(mediator=1, agent=1, supervisor=1),
            kwargs=_ref("walk_in"),
            label="walk-in's, booked by the point at the site",
        ),
        Case(
            visible(mediator=1, other_agent=1, supervisor=1),
            kwargs=_ref("helped"),
            label="helped by the point, at the other site",
        ),
        Case(
            visible(other_applicant=1, other_agent=1, supervisor=1),
            kwargs=_ref("others"),
            label="at the other site",
        ),
    ]


MATRIX: dict[str, list[Case]] = {
    # --- Public pages
    "home": [Case(PUBLIC)],
    "accessibility": [Case(PUBLIC)],
    "site_map": [Case(PUBLIC)],
    "set_language": [Case(ANY_REDIRECT, method="POST", data=lambda s: {"language": "en"})],
    "mediation:points": [Case(PUBLIC)],
    "mediation:substitution": [Case(PUBLIC)],
    # --- The substitution route: public, no account
    "substitution:request": [
        Case(PUBLIC),
        Case(ANY_REDIRECT, method="POST", data=_substitution_form, label="a complete request"),
        Case(PUBLIC, method="POST", data=lambda s: {}, label="an empty request"),
    ],
    "substitution:received": [Case(ANY_REDIRECT, label="nothing filed in this session")],
    "substitution:status": [
        Case(PUBLIC),
        Case(
            PUBLIC,
            method="POST",
            data=lambda s: {"tracking": "SSSSSSSSS2", "birth_date": "1990-01-02"},
            label="the right pair (the request exists once the agents' cases ran)",
        ),
    ],
    # --- The substitution route: the agents' queue (their sites; supervisors: all)
    "substitution_agent:queue": [Case(SUBSTITUTION_STAFF)],
    "substitution_agent:detail": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=_request_at("site"),
            label="wishing the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=404, other_agent=200, supervisor=200),
            kwargs=_request_at("other_site"),
            label="wishing the other site",
        ),
        Case(SUBSTITUTION_STAFF, kwargs=_request_at("none"), label="wishing no site"),
    ],
    "substitution_agent:take": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
        )
    ],
    "substitution_agent:book": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"slot": s.slots["free"].pk},
            label="a free time at the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"slot": s.slots["other"].pk},
            label="a time at the other site: not offered to the site's agent",
        ),
    ],
    "substitution_agent:answer": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"outcome": "referred", "answer": "Ask the OFII."},
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"outcome": "refused", "answer": ""},
            label="without a reason",
        ),
    ],
    "substitution_agent:letter": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=_request_at("site", answered=True),
            label="answered",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=404, other_agent=404, supervisor=404),
            kwargs=_request_at("site"),
            label="not answered yet",
        ),
    ],
    # --- Accounts: logging in and out, registering, confirming
    "accounts:login": [Case(outcomes(REDIRECT, anonymous=200))],
    "accounts:logout": [Case(ANY_REDIRECT, method="POST")],
    "accounts:register": [Case(outcomes(REDIRECT, anonymous=200))],
    "accounts:verify": [Case(logged_in(200))],
    "accounts:email_resend": [Case(logged_in(REDIRECT), method="POST")],
    # A link that is not valid (or someone else's) is refused the same to everyone.
    "accounts:email_confirm": [Case(outcomes(409), kwargs=lambda s: {"token": "not-a-token"})],
    "accounts:phone_confirm": [Case(logged_in(REDIRECT), method="POST")],
    "accounts:phone_code_resend": [Case(logged_in(REDIRECT), method="POST")],
    "accounts:password_reset": [Case(PUBLIC)],
    "accounts:password_reset_done": [Case(PUBLIC)],
    "accounts:password_reset_confirm": [
        Case(PUBLIC, kwargs=lambda s: {"uidb64": "MQ", "token": "not-a-token"})
    ],
    "accounts:password_reset_complete": [Case(PUBLIC)],
    "accounts:password_change": [Case(logged_in(200))],
    "accounts:password_change_done": [Case(logged_in(200))],
    # --- Accounts: my account (everyone's own; staff accounts are closed by an administrator)
    "accounts:me": [Case(logged_in(200))],
    "accounts:email_change": [Case(logged_in(200))],
    "accounts:phone_change": [Case(logged_in(200))],
    "accounts:language": [
        Case(logged_in(REDIRECT), method="POST", data=lambda s: {"language": "fr"})
    ],
    "accounts:data_export": [Case(logged_in(200))],
    "accounts:delete": [
        Case(outcomes(REDIRECT, anonymous=LOGIN, applicant=200, other_applicant=200)),
        Case(
            outcomes(REDIRECT, anonymous=LOGIN, applicant=200, other_applicant=200),
            method="POST",
            data=lambda s: {"password": "wrong"},
            label="a wrong password",
        ),
    ],
    "accounts:tokens": [Case(logged_in(200))],
    "accounts:token_revoke": [
        Case(
            outcomes(404, anonymous=LOGIN, applicant=REDIRECT),
            method="POST",
            kwargs=lambda s: {"token_id": s.token.pk},
        )
    ],
    # --- Accounts: the second factor (optional for applicants, mandatory for staff).
    # Every persona here is already verified, or has no device (the applicants).
    "accounts:otp_setup": [Case(logged_in(200))],
    "accounts:otp_verify": [Case(logged_in(REDIRECT))],
    "accounts:otp_backup_codes": [
        Case(outcomes(200, anonymous=LOGIN, applicant=OTP, other_applicant=OTP))
    ],
    # Staff cannot turn it off.
    "accounts:otp_disable": [
        Case(outcomes(REDIRECT, anonymous=LOGIN, applicant=200, other_applicant=200))
    ],
    # --- Supervisors: lock-outs, staff accounts, the audit trail
    "accounts:lockouts": [
        Case(supervisors_only()),
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            data=lambda s: {"email": s.users["applicant"].email},
        ),
    ],
    "staff:list": [Case(supervisors_only())],
    "staff:create": [
        Case(supervisors_only()),
        Case(
            supervisors_only(200),  # the form again, with what is missing
            method="POST",
            data=lambda s: {"email": "new.agent@example.test", "role": "agent"},
        ),
    ],
    "staff:edit": [
        Case(supervisors_only(), **_STAFF_TARGET),
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            data=lambda s: {"role": "supervisor"},
            label="promote the colleague",
            **_STAFF_TARGET,
        ),
    ],
    "staff:deactivate": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "staff:reactivate": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "staff:invitation": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "staff:otp_reset": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "audit:search": [Case(supervisors_only())],
    "audit:export": [Case(supervisors_only())],
    # --- Agents: correcting an identity, for a person with an appointment at their site
    # (a person the agent may not correct answers 404, like one who does not exist)
    "agent:identity_correct": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=lambda s: {"pk": s.people["applicant"].pk},
            label="booked at the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=404, other_agent=200, supervisor=200),
            kwargs=lambda s: {"pk": s.people["other_applicant"].pk},
            label="booked at the other site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=lambda s: {"pk": s.people["applicant"].pk},
            method="POST",
            data=lambda s: {"surname": "Broker", "reason": ""},
            label="an incomplete correction",
        ),
    ],
    # --- Agents at the counter: their sites' day (supervisors: any); another site, or
    # an appointment there, answers 404 like a missing one. The world's appointments
    # are in three days: a check-in is refused as not today (409), done as not checked in.
    "agent:day": [
        Case(counter(200), label="their first site"),
        Case(
            counter(200, other_agent=404),
            query=lambda s: {"site": s.sites["site"].slug},
            label="the site's day",
        ),
    ],
    "agent:checkin": [
        Case(counter(200), label="the form"),
        Case(
            counter(409, other_agent=404),
            method="POST",
            data=lambda s: {
                "reference": s.appointments["own"].reference,
                "document_number": s.appointments["own"].document_number,
            },
            label="an appointment at the site, in three days",
        ),
    ],
    "agent:checkin_override": [
        Case(
            counter(403, supervisor=409),
            method="POST",
            data=lambda s: {
                "override-reference": s.appointments["own"].reference,
                "override-reason": "Titre renouvelé",
            },
        )
    ],
    "agent:done": [
        Case(
            counter(REDIRECT, other_agent=404),
            kwargs=lambda s: {"reference": s.appointments["own"].reference},
            method="POST",
            label="not checked in: a message on the day's list",
        )
    ],
    "agent:close_day": [
        Case(counter(200, other_agent=404), query=_counter_day, label="the confirmation"),
        Case(counter(REDIRECT, other_agent=404), method="POST", data=_counter_day),
    ],
    # --- Agents: closures of their sites (another site's answers 404); the form's
    # site choices are the agent's own (another's is an error on the form).
    "agent:closures": [
        Case(outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200))
    ],
    "agent:closure_new": [
        Case(outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200),
            method="POST",
            data=lambda s: {**_closure_form(s), "preview": ""},
            label="a preview (another site's agent: not a choice)",
        ),
    ],
    "agent:closure": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=lambda s: {"pk": closure_at(s, "site").pk},
            label="a closure of the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=404, other_agent=200, supervisor=200),
            kwargs=lambda s: {"pk": closure_at(s, "other_site").pk},
            label="a closure of the other site",
        ),
    ],
    "agent:closure_lift": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=lambda s: {"pk": closure_at(s, "site").pk},
        )
    ],
    # --- Agents: court-ordered convocations (their sites; supervisors: all); another
    # site's order answers 404 like a missing one.
    "agent:injunctions": [Case(INJUNCTION_STAFF)],
    "agent:injunction_new": [
        Case(INJUNCTION_STAFF),
        Case(
            outcomes(
                403, anonymous=LOGIN, agent=REDIRECT, other_agent=REDIRECT, supervisor=REDIRECT
            ),
            method="POST",
            data=lambda s: {
                "action": "document",
                "document-document_number": s.people["walk_in"].document_number,
                "document-birth_date": s.people["walk_in"].birth_date.isoformat(),
            },
            label="the person found by document",
        ),
        Case(INJUNCTION_STAFF, method="POST", data=lambda s: {}, label="nothing sent"),
    ],
    "agent:injunction": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=_injunction("site"),
            label="served at the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=404, other_agent=200, supervisor=200),
            kwargs=_injunction("other_site"),
            label="served at the other site",
        ),
    ],
    "agent:injunction_convocation": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_injunction("site"),
            data=lambda s: {"slot": s.slots["free"].pk},
            label="a free time at the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_injunction("site"),
            data=lambda s: {"slot": s.slots["other"].pk},
            label="a time at the other site (a supervisor works at every site)",
        ),
    ],
    # --- Agents: finding a person, their page, registering a walk-in, booking for them.
    # An agent sees the people booked at their site; anyone else answers 404 like a
    # missing person. Supervisors: everyone. Other roles: the 403 page.
    "agent:search": [
        Case(office()),
        Case(
            office(REDIRECT, 200, REDIRECT),
            method="POST",
            data=lambda s: {
                "by": "document",
                "document-document_number": s.people["applicant"].document_number,
            },
            label="the document of a person booked at the site: not found at the other",
        ),
        Case(
            office(),
            method="POST",
            data=lambda s: {"by": "name", "name-surname": "Diallo"},
            label="a surname without a date of birth",
        ),
    ],
    "agent:register": [
        Case(office()),
        Case(
            office(REDIRECT),
            method="POST",
            data=lambda s: {**_walk_in_identity(s), "language": "fr"},
            label="a walk-in",
        ),
        Case(
            office(),
            method="POST",
            data=lambda s: {"surname": "Diallo"},
            label="an incomplete identity",
        ),
    ],
    "agent:person": [
        Case(office(200, 404), kwargs=_person("applicant"), label="booked at the site"),
        Case(office(404, 200, 200), kwargs=_person("other_applicant"), label="at the other site"),
    ],
    "agent:book_procedures": [Case(office(200, 404), kwargs=_person("applicant"))],
    "agent:book_sites": [
        Case(
            office(200, 404),
            kwargs=lambda s: {"pk": s.people["applicant"].pk, "procedure": "procedure"},
        )
    ],
    "agent:book_days": [
        Case(
            office(200, 404),
            kwargs=lambda s: {
                "pk": s.people["applicant"].pk,
                "procedure": "procedure",
                "site": "site",
            },
            query=lambda s: {"date": s.slots["free"].starts_at.date().isoformat()},
        ),
        Case(
            office(404, 404, 200),
            kwargs=lambda s: {
                "pk": s.people["other_applicant"].pk,
                "procedure": "procedure",
                "site": "site",
            },
            label="the other site's person at the site",
        ),
    ],
    "agent:book_confirm": [
        Case(
            office(200, 404),
            kwargs=lambda s: {"pk": s.people["applicant"].pk, "slot_id": s.slots["spare"].pk},
        ),
        Case(
            office(REDIRECT, 404, REDIRECT),
            kwargs=lambda s: {"pk": s.people["applicant"].pk, "slot_id": s.slots["spare"].pk},
            method="POST",
            label="book for the person",
        ),
        Case(
            office(404, 404, 200),
            kwargs=lambda s: {
                "pk": s.people["other_applicant"].pk,
                "slot_id": s.slots["spare"].pk,
            },
            label="the other site's person, a time at the site",
        ),
    ],
    "agent:appointment_cancel": [
        Case(office(200, 404), kwargs=_person_appointment("walk_in")),
        Case(office(REDIRECT, 404, REDIRECT), kwargs=_person_appointment("walk_in"), method="POST"),
        Case(
            office(404, REDIRECT, REDIRECT),
            kwargs=_person_appointment("helped"),
            method="POST",
            label="at the other site",
        ),
    ],
    "agent:appointment_reschedule": [
        Case(office(200, 404), kwargs=lambda s: {**_ref("own")(s), "pk": s.people["applicant"].pk})
    ],
    "agent:appointment_reschedule_confirm": [
        Case(
            office(200, 404),
            kwargs=lambda s: {
                **_ref("own")(s),
                "pk": s.people["applicant"].pk,
                "slot_id": s.slots["free"].pk,
            },
        ),
        Case(
            office(REDIRECT, 404, REDIRECT),
            kwargs=lambda s: {
                **_ref("own")(s),
                "pk": s.people["applicant"].pk,
                "slot_id": s.slots["free"].pk,
            },
            method="POST",
        ),
    ],
    # --- Agents: capacity (publish with a preview, the calendar, a day's slots): staff
    # only; another site's calendar, day and slots answer 404 like missing ones.
    "agent:publish": [
        Case(outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200),
            method="POST",
            data=lambda s: _publish_form(s, "preview"),
            label="the preview (the other site's agent: the form, the site refused)",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=200, supervisor=REDIRECT),
            method="POST",
            data=lambda s: _publish_form(s, "publish"),
            label="publish",
        ),
    ],
    "agent:calendar": [
        Case(outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            query=lambda s: {"site": "site", "procedure": "procedure", "view": "month"},
            label="the site's month",
        ),
    ],
    "agent:calendar_day": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=_calendar_day,
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            kwargs=_calendar_day,
            method="POST",
            data=lambda s: {"action": "capacity", "slot": s.slots["free"].pk, "capacity": 2},
            label="reduce a slot's capacity",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            kwargs=_calendar_day,
            method="POST",
            data=lambda s: {
                "action": "move",
                "slot": s.slots["free"].pk,
                "to_pool": "priority",
                "count": 1,
            },
            label="move a counter",
        ),
    ],
    # --- The dashboard: agents (their sites) and supervisors; another's site is a 404
    "agent:dashboard": [
        Case(outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200)),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            query=lambda s: {"site": s.sites["site"].slug},
            label="one site",
        ),
    ],
    "agent:dashboard_csv": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=200, supervisor=200),
            kwargs=lambda s: {"table": "detail"},
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=lambda s: {"table": "sites"},
            query=lambda s: {"site": s.sites["site"].slug},
            label="one site",
        ),
    ],
    # --- The mediators' console: the point's mediators for the point's people; another
    # point's person answers 404 like a missing one. Supervisors: the points and the caps.
    "mediation:home": [Case(console(200, supervisor=200))],
    "mediation:find": [
        Case(console(200)),
        Case(
            console(REDIRECT),
            method="POST",
            data=_walk_in_found,
            label="the walk-in's document and date of birth: found, whoever holds them",
        ),
        Case(
            console(200),
            method="POST",
            data=lambda s: {"by": "document", "document-document_number": "X"},
            label="an incomplete search",
        ),
    ],
    "mediation:register": [
        Case(console(200)),
        Case(
            console(200),
            method="POST",
            data=lambda s: {"surname": "Diallo"},
            label="an incomplete identity",
        ),
    ],
    "mediation:cap_raise": [
        Case(outcomes(403, anonymous=LOGIN, supervisor=200)),
        Case(
            outcomes(403, anonymous=LOGIN, supervisor=200),
            method="POST",
            data=lambda s: {"access_point": s.points["point"].pk, "reason": ""},
            label="an incomplete raise",
        ),
    ],
    "mediation:hours": [
        Case(console(200)),
        Case(
            console(REDIRECT),
            method="POST",
            data=lambda s: {"d0_morning_opens": "09:00", "d0_morning_closes": "12:00"},
            label="Monday morning: saved for the mediator's own point",
        ),
        Case(
            console(200),
            method="POST",
            data=lambda s: {"d0_morning_opens": "12:00", "d0_morning_closes": "09:00"},
            label="a period that closes before it opens",
        ),
    ],
    "mediation:person": [
        Case(console(200, 404), kwargs=_person("walk_in"), label="the point's walk-in"),
        Case(console(404, 404), kwargs=_person("applicant"), label="an applicant of no point"),
    ],
    "mediation:consent_give": [
        Case(console(200, 404), kwargs=_person("walk_in")),
        Case(
            console(200, 404),
            kwargs=_person("walk_in"),
            method="POST",
            data=lambda s: {"method": "oral"},
            label="an incomplete consent",
        ),
    ],
    "mediation:consent_withdraw": [
        Case(
            console(404, 404),
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "consent_id": 2**31 - 1},
            method="POST",
            label="a consent that does not exist",
        ),
    ],
    "mediation:book_procedures": [Case(console(200, 404), kwargs=_person("walk_in"))],
    "mediation:book_sites": [
        Case(
            console(200, 404),
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "procedure": "procedure"},
        )
    ],
    "mediation:book_days": [
        Case(
            console(200, 404),
            kwargs=lambda s: {
                "pk": s.people["walk_in"].pk,
                "procedure": "procedure",
                "site": "site",
            },
            query=lambda s: {"date": s.slots["free"].starts_at.date().isoformat()},
        )
    ],
    "mediation:book_confirm": [
        Case(
            console(200, 404),
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "slot_id": s.slots["spare"].pk},
        ),
        Case(
            console(REDIRECT, 404),
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "slot_id": s.slots["spare"].pk},
            method="POST",
            label="book for the walk-in",
        ),
    ],
    "mediation:appointment_cancel": [
        Case(console(200, 404), kwargs=_person_appointment("walk_in")),
        Case(console(REDIRECT, 404), kwargs=_person_appointment("walk_in"), method="POST"),
    ],
    "mediation:appointment_reschedule": [
        Case(console(200, 404), kwargs=_person_appointment("walk_in"))
    ],
    "mediation:appointment_reschedule_confirm": [
        Case(
            console(200, 404),
            kwargs=lambda s: {
                **_person_appointment("walk_in")(s),
                "slot_id": s.slots["free"].pk,
            },
        ),
        Case(
            console(REDIRECT, 404),
            kwargs=lambda s: {
                **_person_appointment("walk_in")(s),
                "slot_id": s.slots["free"].pk,
            },
            method="POST",
        ),
    ],
    # --- Booking pages: applicants, for themselves
    "booking:procedures": [Case(applicant_page())],
    "booking:sites": [Case(applicant_page(), kwargs=lambda s: {"procedure": "procedure"})],
    "booking:days": [
        Case(applicant_page(), kwargs=lambda s: {"procedure": "procedure", "site": "site"})
    ],
    "booking:times": [
        Case(
            applicant_page(),
            kwargs=lambda s: {"procedure": "procedure", "site": "site"},
            query=lambda s: {"date": s.slots["free"].starts_at.date().isoformat()},
        )
    ],
    "booking:confirm": [
        Case(applicant_page(), kwargs=lambda s: {"slot_id": s.slots["free"].pk}),
        Case(
            applicant_page(REDIRECT),
            kwargs=lambda s: {"slot_id": s.slots["spare"].pk},
            method="POST",
            label="book, for oneself",
        ),
    ],
    "booking:identity": [
        Case(applicant_page()),
        Case(applicant_page(REDIRECT), method="POST", label="on file: nothing to record"),
    ],
    # Taking over a walk-in's file: the personas' accounts have an identity already.
    "booking:identity_claim": [
        Case(applicant_page(REDIRECT), label="an identity on file: sent to it"),
        Case(
            applicant_page(REDIRECT),
            method="POST",
            data=_walk_in_proofs,
            label="the walk-in's proofs: nothing taken over",
        ),
    ],
    "booking:my_appointments": [Case(applicant_page())],
    "booking:appointment_detail": [
        Case(applicant_page(200, 404), kwargs=_ref("own"), label="own"),
        Case(applicant_page(404, 404), kwargs=_ref("walk_in"), label="walk-in's"),
    ],
    "booking:appointment_ics": [Case(applicant_page(200, 404), kwargs=_ref("own"))],
    # The convocation: whoever may see the appointment (staff print it for someone).
    "booking:convocation": _convocation_cases(),
    "booking:convocation_pdf": _convocation_cases(),
    "booking:appointment_cancel": [
        Case(applicant_page(200, 404), kwargs=_ref("own")),
        Case(applicant_page(REDIRECT, 404), kwargs=_ref("own"), method="POST"),
    ],
    "booking:appointment_reschedule": [Case(applicant_page(200, 404), kwargs=_ref("own"))],
    "booking:appointment_reschedule_confirm": [
        Case(
            applicant_page(200, 404),
            kwargs=lambda s: {
                "reference": s.appointments["own"].reference,
                "slot_id": s.slots["free"].pk,
            },
        ),
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {
                "reference": s.appointments["own"].reference,
                "slot_id": s.slots["free"].pk,
            },
            method="POST",
        ),
    ],
    # --- Alerts: applicants; the signed unsubscribe link works without logging in
    "notifications:alerts": [Case(applicant_page())],
    "notifications:alert_subscribe": [
        Case(applicant_page(), kwargs=lambda s: {"procedure": "procedure"}),
        Case(
            applicant_page(REDIRECT),
            kwargs=lambda s: {"procedure": "procedure"},
            method="POST",
            data=lambda s: {"consent": "yes", "channels": "sms"},
        ),
    ],
    "notifications:alert_unsubscribe": [
        Case(PUBLIC, kwargs=lambda s: {"token": unsubscribe_token(s.alert.pk)})
    ],
    # Twilio's webhooks: only a valid signature is heard.
    "notifications:twilio_status": [Case(outcomes(403), method="POST")],
    "notifications:twilio_inbound": [Case(outcomes(403), method="POST")],
    # --- The record of attempts: the applicant's own; staff for a person they may act
    # for (the walk-in: registered at the point, booked at the agent's site); the
    # verification page is public, and an invented code is a 404 for everyone.
    "attempts:record": [Case(applicant_page())],
    "attempts:record_pdf": [Case(applicant_page())],
    "attempts:record_for_person_page": [
        Case(
            outcomes(404, anonymous=LOGIN, mediator=200, agent=200, supervisor=200),
            kwargs=lambda s: {"applicant_id": s.people["walk_in"].pk},
            label="the point's walk-in",
        ),
        Case(
            outcomes(404, anonymous=LOGIN, other_agent=200, supervisor=200),
            kwargs=lambda s: {"applicant_id": s.people["other_applicant"].pk},
            label="an applicant booked online at the other site",
        ),
    ],
    "attempts:record_for_person": [
        Case(
            outcomes(404, anonymous=LOGIN, mediator=200, agent=200, supervisor=200),
            kwargs=lambda s: {"applicant_id": s.people["walk_in"].pk},
        )
    ],
    "attempts:verify_form": [Case(PUBLIC)],
    "attempts:verify": [
        Case(outcomes(404), kwargs=lambda s: {"code": "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01"}),
        Case(
            PUBLIC,
            kwargs=lambda s: {
                "code": record_issue(
                    actor=s.users["applicant"], applicant=s.people["applicant"]
                ).code
            },
            label="an issued record",
        ),
    ],
    # --- API: tokens
    "api:auth-token": [
        Case(
            outcomes(200),
            method="POST",
            data=lambda s: {
                "email": s.users["applicant"].email,
                "password": "correct-horse-battery",
            },
            label="the applicant's credentials, whoever sends them",
        ),
        Case(outcomes(400), method="POST", data=lambda s: {}, label="no credentials"),
    ],
    "api:auth-tokens": [Case(API_READ)],
    "api:auth-token-revoke": [
        Case(
            outcomes(404, anonymous=401, applicant=204),
            method="DELETE",
            kwargs=lambda s: {"token_id": s.token.pk},
        )
    ],
    # --- API: reference data and availability, for every account
    "api:sites": [Case(API_READ)],
    "api:procedures": [Case(API_READ)],
    "api:availability": [Case(API_READ, query=lambda s: {"procedure": "procedure"})],
    "api:schema": [Case(PUBLIC)],
    "api:docs": [Case(PUBLIC)],
    # --- API: appointments. Reads by the object rules; writes by applicants, for themselves.
    "api:appointments": [
        Case(API_READ, label="each their own list"),
        Case(
            outcomes(400, anonymous=401, applicant=201, other_applicant=201),
            method="POST",
            data=lambda s: {"slot": s.slots["spare"].pk},
            label="book, for oneself (staff must name the person)",
        ),
        Case(
            outcomes(400, anonymous=401, applicant=409, other_applicant=409),
            method="POST",
            data=lambda s: {"slot": s.slots["free"].pk},
            label="book a second time the same procedure",
        ),
        Case(
            outcomes(
                404,
                anonymous=401,
                mediator=201,
                agent=201,
                other_agent=403,
                supervisor=201,
            ),
            method="POST",
            data=lambda s: {"slot": s.slots["spare"].pk, "applicant": s.people["walk_in"].pk},
            label="book for the walk-in: the point's mediator (consent), staff of the site",
        ),
    ],
    "api:appointment-detail": [
        Case(api_visible(applicant=1, agent=1, supervisor=1), kwargs=_ref("own"), label="own"),
        Case(
            api_visible(mediator=1, agent=1, supervisor=1),
            kwargs=_ref("walk_in"),
            label="walk-in's, booked by the point at the site",
        ),
        Case(
            api_visible(other_applicant=1, other_agent=1, supervisor=1),
            kwargs=_ref("others"),
            label="at the other site",
        ),
    ],
    "api:appointment-convocation": _convocation_cases(api=True),
    "api:appointment-cancel": [
        Case(
            api_writes(applicant=200, agent=200, supervisor=200),
            method="POST",
            kwargs=_ref("own"),
            label="own; staff of the site",
        ),
        Case(
            api_writes(mediator=200, agent=200, supervisor=200),
            method="POST",
            kwargs=_ref("walk_in"),
            label="walk-in's: the point's mediator with the consent, staff of the site",
        ),
    ],
    "api:appointment-reschedule": [
        Case(
            api_writes(applicant=200, agent=200, supervisor=200),
            method="POST",
            kwargs=_ref("own"),
            data=lambda s: {"slot": s.slots["free"].pk},
        )
    ],
    # --- API: mediation (mediators of a point; supervisors withdraw consents too)
    "api:mediation-applicants": [
        Case(
            api_mediators(200),
            query=lambda s: {
                "document_number": s.people["other_applicant"].document_number,
                "birth_date": s.people["other_applicant"].birth_date.isoformat(),
            },
            label="find by document number and date of birth",
        ),
        Case(
            api_mediators(201),
            method="POST",
            data=_walk_in_identity,
            label="register a walk-in",
        ),
    ],
    "api:mediation-consents": [
        Case(
            api_mediators(201, other_mediator=404),
            method="POST",
            kwargs=lambda s: {"applicant_id": s.people["walk_in"].pk},
            data=_consent,
            label="the point's walk-in",
        ),
        Case(
            api_mediators(201),
            method="POST",
            kwargs=lambda s: {"applicant_id": s.people["other_applicant"].pk},
            data=lambda s: {
                **_consent(s),
                "document_number": s.people["other_applicant"].document_number,
                "birth_date": s.people["other_applicant"].birth_date.isoformat(),
            },
            label="anyone, with their document number and date of birth",
        ),
    ],
    "api:mediation-consent": [
        Case(
            api_mediators(200, other_mediator=404, supervisor=200),
            method="DELETE",
            kwargs=lambda s: {
                "applicant_id": s.people["walk_in"].pk,
                "consent_id": s.consents["walk_in"].pk,
            },
            label="withdraw: the point's mediators and supervisors",
        )
    ],
    "api:agent-publications": [
        Case(
            outcomes(403, anonymous=401, agent=201, supervisor=201),
            method="POST",
            data=_publication,
        )
    ],
    # --- API: the counter (agents at their sites; another site's answers 404)
    "api:agent-day": [
        Case(counter_api(200, other_agent=404), query=lambda s: {"site": s.sites["site"].slug})
    ],
    "api:agent-checkins": [
        Case(
            counter_api(409, other_agent=404),
            method="POST",
            data=lambda s: {
                "reference": s.appointments["own"].reference,
                "document_number": s.appointments["own"].document_number,
            },
            label="an appointment at the site, in three days",
        )
    ],
    "api:agent-appointment-done": [
        Case(
            counter_api(409, other_agent=404),
            kwargs=lambda s: {"reference": s.appointments["own"].reference},
            method="POST",
            label="not checked in",
        )
    ],
    "api:agent-no-shows": [
        Case(counter_api(200, other_agent=404), method="POST", data=_counter_day)
    ],
    "api:agent-closures": [
        Case(outcomes(403, anonymous=401, agent=200, other_agent=200, supervisor=200)),
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=404, supervisor=200),
            method="POST",
            data=_closure_api,
            label="a preview at the site",
        ),
    ],
    "api:agent-closure-lift": [
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=404, supervisor=200),
            method="POST",
            kwargs=lambda s: {"id": closure_at(s, "site").pk},
        )
    ],
    "api:agent-injunctions": [
        Case(outcomes(403, anonymous=401, agent=200, other_agent=200, supervisor=200)),
        Case(
            outcomes(403, anonymous=401, agent=201, other_agent=400, supervisor=201),
            method="POST",
            data=_injunction_api,
        ),
    ],
    "api:agent-injunction": [
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=404, supervisor=200),
            kwargs=_injunction("site", "injunction_id"),
        )
    ],
    "api:agent-injunction-convocation": [
        Case(
            outcomes(403, anonymous=401, agent=201, other_agent=404, supervisor=201),
            method="POST",
            kwargs=_injunction("site", "injunction_id"),
            data=lambda s: {"slot": s.slots["free"].pk},
        )
    ],
    # --- API: agents' capacity; another site's answers 404 like a missing one
    "api:agent-publications-preview": [
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=403, supervisor=200),
            method="POST",
            data=_publication,
        )
    ],
    "api:agent-calendar": [
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=404, supervisor=200),
            query=lambda s: {
                "site": "site",
                "procedure": "procedure",
                "from": s.slots["free"].starts_at.date().isoformat(),
                "to": s.slots["free"].starts_at.date().isoformat(),
            },
        )
    ],
    "api:agent-slot": [
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=404, supervisor=200),
            kwargs=lambda s: {"pk": s.slots["free"].pk},
            method="PATCH",
            data=lambda s: {"capacity": 2},
        )
    ],
    "api:agent-slots-move": [
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=404, supervisor=200),
            method="POST",
            data=lambda s: {
                "site": "site",
                "procedure": "procedure",
                "starts_at": s.slots["free"].starts_at.isoformat(),
                "from_pool": "public",
                "to_pool": "priority",
                "count": 1,
            },
        )
    ],
    "api:agent-dashboard": [
        Case(outcomes(403, anonymous=401, agent=200, other_agent=200, supervisor=200)),
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=404, supervisor=200),
            query=lambda s: {"site": s.sites["site"].slug, "format": "csv"},
            label="one site, as CSV",
        ),
    ],
    # Found (agent, supervisor) or not found, exactly like nobody (other agent): 200.
    "api:agent-people": [
        Case(
            outcomes(403, anonymous=401, agent=200, other_agent=200, supervisor=200),
            query=lambda s: {"reference": s.appointments["own"].reference},
            label="find by reference",
        ),
    ],
    # --- API: the substitution route, public (credentials are not looked at)
    "api:substitution-requests": [
        Case(outcomes(201), method="POST", data=_substitution_api, label="a complete request"),
        Case(outcomes(400), method="POST", data=lambda s: {}, label="an empty request"),
    ],
    "api:substitution-request-status": [
        Case(
            outcomes(200),
            kwargs=lambda s: {"tracking": substitution_request(s, "site").tracking},
            query=lambda s: {"birth_date": "1990-01-02"},
            label="the right pair",
        ),
        Case(
            outcomes(404),
            kwargs=lambda s: {"tracking": substitution_request(s, "site").tracking},
            query=lambda s: {"birth_date": "1990-01-03"},
            label="a wrong pair",
        ),
    ],
    # --- API: taking over a walk-in's file, applicants only (the personas have an identity)
    "api:identity-claim": [
        Case(
            outcomes(403, anonymous=401, applicant=409, other_applicant=409),
            method="POST",
            data=_walk_in_proofs,
            label="the walk-in's proofs",
        ),
        Case(
            outcomes(403, anonymous=401, applicant=400, other_applicant=400),
            method="POST",
            data=lambda s: {"reference": ""},
            label="no proofs",
        ),
    ],
    # --- Fair allocation: the applicant's waiting-list pages and the offer link (h-wpages)
    # The applicant is on the list of ``listed`` with an open offer (waitlist_pages);
    # the other applicant is not: another's entry or offer is a 404, like none.
    "allocation:mine": [Case(applicant_page())],
    "allocation:join": [
        Case(
            applicant_page(REDIRECT, 200),
            kwargs=lambda s: {"procedure": waitlist_state(s).procedure.slug},
            label="on the list already: sent to it",
        ),
        Case(
            applicant_page(REDIRECT),
            kwargs=lambda s: {"procedure": waitlist_state(s).procedure.slug},
            method="POST",
            data=lambda s: {"sites": [s.sites["site"].pk]},
            label="join",
        ),
    ],
    "allocation:leave": [
        Case(applicant_page(200, 404), kwargs=lambda s: {"pk": waitlist_state(s).entry.pk}),
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).entry.pk},
            method="POST",
        ),
    ],
    "allocation:change": [
        Case(applicant_page(200, 404), kwargs=lambda s: {"pk": waitlist_state(s).entry.pk}),
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).entry.pk},
            method="POST",
            data=lambda s: {"sites": [s.sites["site"].pk], "weekdays_excluded": ["7"]},
        ),
    ],
    "allocation:resume": [
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).entry.pk},
            method="POST",
            label="not paused: said so",
        )
    ],
    "allocation:offer": [
        Case(applicant_page(200, 404), kwargs=lambda s: {"pk": waitlist_state(s).offer.pk}),
        Case(
            applicant_page(REDIRECT, 404),
            kwargs=lambda s: {"pk": waitlist_state(s).offer.pk},
            method="POST",
            data=lambda s: {"answer": "accept"},
            label="accept",
        ),
    ],
    # No login: the token is the authority; a bad one is the same 404 for everyone.
    "allocation:offer_link": [
        Case(PUBLIC, kwargs=lambda s: {"token": waitlist_state(s).token}),
        Case(outcomes(404), kwargs=lambda s: {"token": "1-" + "0" * 32}, label="bad token"),
        Case(
            ANY_REDIRECT,
            kwargs=lambda s: {"token": waitlist_state(s).token},
            method="POST",
            data=lambda s: {"answer": "decline"},
            label="decline",
        ),
    ],
    # (end of h-wpages)
    # --- Fair allocation: the staff's waiting-list screens, allocation modes (h-wstaff)
    # The person's entries from the console (the walk-in, consent for the list given)
    # and from the back office (the walk-in has an appointment at the site); an
    # agent elsewhere and another point's mediator get 404, like a missing one.
    "mediation:waitlist_join": [
        Case(console(200, 404), kwargs=_person("walk_in")),
        Case(
            console(REDIRECT, 404),
            kwargs=_person("helped"),
            method="POST",
            data=wstaff.join_data,
            label="joined",
        ),
    ],
    "mediation:waitlist_change": [
        Case(console(200, 404), kwargs=wstaff.entry_kwargs()),
        Case(
            console(REDIRECT, 404),
            kwargs=wstaff.entry_kwargs(),
            method="POST",
            data=wstaff.change_data,
            label="changed",
        ),
    ],
    "mediation:waitlist_leave": [
        Case(console(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST"),
    ],
    "mediation:waitlist_resume": [
        Case(
            console(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST", label="not paused"
        ),
    ],
    "mediation:waitlist_offer_accept": [
        Case(console(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    "mediation:waitlist_offer_decline": [
        Case(console(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    "agent:waitlist_join": [
        Case(office(200, 404), kwargs=_person("walk_in")),
        Case(
            office(REDIRECT, 404),
            kwargs=_person("applicant"),
            method="POST",
            data=wstaff.join_data,
            label="joined",
        ),
    ],
    "agent:waitlist_change": [
        Case(office(200, 404), kwargs=wstaff.entry_kwargs()),
        Case(
            office(REDIRECT, 404),
            kwargs=wstaff.entry_kwargs(),
            method="POST",
            data=wstaff.change_data,
            label="changed",
        ),
    ],
    "agent:waitlist_leave": [
        Case(office(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST"),
    ],
    "agent:waitlist_resume": [
        Case(
            office(REDIRECT, 404), kwargs=wstaff.entry_kwargs(), method="POST", label="not paused"
        ),
    ],
    "agent:waitlist_permit": [
        Case(office(200, 404), kwargs=wstaff.entry_kwargs()),
        Case(
            office(REDIRECT, 404),
            kwargs=wstaff.entry_kwargs(),
            method="POST",
            data=lambda s: {"permit_expires_on": s.slots["free"].starts_at.date().isoformat()},
            label="recorded",
        ),
    ],
    "agent:waitlist_offer_accept": [
        Case(office(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    "agent:waitlist_offer_decline": [
        Case(office(REDIRECT, 404), kwargs=wstaff.offer_kwargs, method="POST"),
    ],
    # Agents read the modes; only supervisors change them (an agent's POST: 403).
    "agent:allocation_modes": [
        Case(office(200)),
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            data=lambda s: {
                "procedure": wstaff.listed_procedure(s).pk,
                "site": "all",
                "mode": "open",
            },
            label="set",
        ),
    ],
    # (end of h-wstaff)
    # --- Fair allocation: the waiting-list and offers API (h-wapi)
    # (the list's world: tests/helpers/waitlist_api_world.py)
    "api:waitlist": [
        Case(
            outcomes(400, anonymous=401, applicant=200, other_applicant=200),
            label="my entries (staff must name the person)",
        ),
        Case(
            outcomes(
                404,
                anonymous=401,
                mediator=200,
                agent=200,
                other_agent=200,
                supervisor=200,
            ),
            query=lambda s: {"applicant": s.people["walk_in"].pk},
            label="the walk-in's (another site's agent: none of theirs, an empty list)",
        ),
        Case(
            outcomes(400, anonymous=401, applicant=409, other_applicant=409),
            method="POST",
            data=waitlist_api_world.join_body,
            label="join, for oneself: on the list already",
        ),
        Case(
            outcomes(
                404,
                anonymous=401,
                mediator=201,
                agent=201,
                other_agent=403,
                supervisor=201,
            ),
            method="POST",
            data=lambda s: waitlist_api_world.join_body(s, "helped"),
            label="join for the helped person at the site",
        ),
    ],
    "api:waitlist-entry": [
        Case(
            api_visible(applicant=1, agent=1, supervisor=1),
            kwargs=waitlist_api_world.entry_kwargs("own"),
            label="own",
        ),
        Case(
            api_visible(mediator=1, agent=1, supervisor=1),
            kwargs=waitlist_api_world.entry_kwargs("walk_in"),
            label="the walk-in's, at the site",
        ),
        Case(
            api_visible(other_applicant=1, other_agent=1, supervisor=1),
            kwargs=waitlist_api_world.entry_kwargs("others"),
            label="at the other site",
        ),
        Case(
            api_writes(applicant=200, agent=200, supervisor=200),
            method="DELETE",
            kwargs=waitlist_api_world.entry_kwargs("own"),
            label="leave",
        ),
    ],
    "api:waitlist-resume": [
        Case(
            api_writes(applicant=409, agent=409, supervisor=409),
            method="POST",
            kwargs=waitlist_api_world.entry_kwargs("own"),
            label="not paused",
        )
    ],
    "api:offers": [
        Case(API_READ),
        Case(API_READ, query=lambda s: {"status": "open"}, label="the open ones"),
    ],
    "api:offer": [
        Case(
            api_visible(applicant=1, agent=1, supervisor=1),
            kwargs=waitlist_api_world.offer_kwargs("own"),
            label="own",
        ),
        Case(
            api_visible(other_applicant=1, other_agent=1, supervisor=1),
            kwargs=waitlist_api_world.offer_kwargs("others"),
            label="at the other site",
        ),
    ],
    "api:offer-accept": [
        Case(
            api_writes(applicant=201, agent=201, supervisor=201),
            method="POST",
            kwargs=waitlist_api_world.offer_kwargs("own"),
        )
    ],
    "api:offer-decline": [
        Case(
            api_writes(applicant=200, agent=200, supervisor=200),
            method="POST",
            kwargs=waitlist_api_world.offer_kwargs("own"),
        )
    ],
    # (end of h-wapi)
    # --- Fair allocation: the proof-of-work challenge (h-altcha)
    "api:challenge": [Case(outcomes(200), label="a challenge, for anyone")],
    # (end of h-altcha)
    # --- Fair allocation: the abuse report and suspensions (h-abuse)
    # Supervisors only; the account suspended is another applicant's (the case
    # runs in a savepoint rolled back); lifting an account not suspended says so
    # on the account's page (a redirect).
    "agent:abuse": [
        Case(supervisors_only()),
        Case(supervisors_only(400), query=lambda s: {"days": "0"}, label="a bad period"),
    ],
    "agent:abuse_csv": [Case(supervisors_only(), kwargs=lambda s: {"section": "identities"})],
    "agent:abuse_account": [
        Case(supervisors_only(), kwargs=lambda s: {"user_id": s.users["other_applicant"].pk})
    ],
    "agent:abuse_suspend": [
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            data=lambda s: {"reason": "Revente de rendez-vous"},
        )
    ],
    "agent:abuse_lift": [
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
        )
    ],
    # (end of h-abuse)
    # --- susp (helper) ---
    # The suspension API: supervisors only (403 ``supervisors_only`` for every other
    # account, 401 without credentials); the account suspended is another
    # applicant's (the case runs in a savepoint rolled back); lifting an account
    # that is not suspended is a 409 ``account_not_suspended``.
    "api:agent-suspensions": [Case(outcomes(403, anonymous=401, supervisor=200))],
    "api:agent-account-suspend": [
        Case(
            outcomes(403, anonymous=401, supervisor=200),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            data=lambda s: {"reason": "Revente de rendez-vous"},
        ),
        Case(
            outcomes(403, anonymous=401, supervisor=404),
            method="POST",
            kwargs=lambda s: {"user_id": 999999999},
            data=lambda s: {"reason": "Revente de rendez-vous"},
            label="an account that does not exist",
        ),
    ],
    "api:agent-account-lift": [
        Case(
            outcomes(403, anonymous=401, supervisor=409),
            method="POST",
            kwargs=lambda s: {"user_id": s.users["other_applicant"].pk},
            label="an account not suspended",
        )
    ],
    # --- end susp ---
    # --- Fair allocation: transparency (h-transp)
    # Public, page and API: no credentials looked at (a token or a session is ignored).
    "allocation:transparency": [Case(PUBLIC)],
    "api:transparency": [Case(PUBLIC)],
    # (end of h-transp)
    # --- Anything else under /api/: a JSON 404
    "api:not-found": [Case(outcomes(404), path=lambda s: "/api/v1/no-such-thing/")],
    "^api/": [Case(outcomes(404), path=lambda s: "/api/v2/appointments/")],
}

# --- The admin: one rule for every pattern, and samples for the administrator -----------


def admin_rule(key: str) -> dict[str, Any]:
    """What the personas (none of whom has ``is_staff``) get from an admin URL."""
    if key == "admin:login":
        return PUBLIC  # the form; a logged-in persona is told they lack access
    if key == "admin:logout":
        return ANY_REDIRECT  # logging out wants a POST: a GET is sent back to the admin
    return outcomes(ADMIN_LOGIN)


def admin_kwargs(route: str) -> dict:
    """Values for an admin pattern's arguments: enough to resolve; the rule refuses first."""
    names = re.findall(r"\(\?P<(\w+)>", route) + re.findall(r"<(?:\w+:)?(\w+)>", route)
    values = {"app_label": "booking", "url": "no-such-page/"}
    return {name: values.get(name, 1) for name in names}


ADMIN_SAMPLES: list[tuple[str, Callable[[World], dict], Any]] = [
    ("admin:index", lambda s: {}, 200),
    ("admin:app_list", lambda s: {"app_label": "booking"}, 200),
    ("admin:booking_appointment_changelist", lambda s: {}, 200),
    ("admin:booking_appointment_change", lambda s: {"object_id": s.appointments["own"].pk}, 200),
    ("admin:booking_applicant_change", lambda s: {"object_id": s.people["walk_in"].pk}, 200),
    ("admin:booking_slot_changelist", lambda s: {}, 200),
    ("admin:accounts_user_changelist", lambda s: {}, 200),
    ("admin:booking_appointment_add", lambda s: {}, 403),  # read-only: services write
]


# --- The machinery ------------------------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield route, route


def url_patterns() -> list[tuple[str, str]]:
    """(matrix key, route) of every URL pattern: its namespaced name, or its route."""
    return list(_walk(get_resolver()))


def is_admin(key: str) -> bool:
    return key == "admin" or key.startswith("admin:") or key.startswith("admin/")


# Served only with DEBUG (static files): not a page of the application.
IGNORED = {"^static/(?P<path>.*)$"}


def outcome_of(response) -> Any:
    if response.status_code in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path == resolve_url(settings.LOGIN_URL):
            return LOGIN
        if path == reverse("admin:login"):
            return ADMIN_LOGIN
        if path.startswith("/accounts/otp/"):
            return OTP
        return REDIRECT
    return response.status_code


def snapshot() -> tuple:
    """The domain state a refused request must leave as it was."""
    return (
        list(Appointment.objects.order_by("pk").values_list("pk", "status", "slot_id")),
        list(Slot.objects.order_by("pk").values_list("pk", "booked", "capacity")),
        list(
            Applicant.objects.order_by("pk").values_list(
                "pk", "surname", "document_number", "user_id", "phone", "email", "access_point_id"
            )
        ),
        list(
            User.objects.order_by("pk").values_list(
                "pk",
                "email",
                "role",
                "is_active",
                "is_staff",
                "is_superuser",
                "password",
                "phone",
                "language",
                "access_point_id",
            )
        ),
        list(ApiToken.objects.order_by("pk").values_list("pk", "expires_at")),
        list(AlertSubscription.objects.order_by("pk").values_list("pk", "is_active")),
        list(Publication.objects.order_by("pk").values_list("pk")),
        list(TOTPDevice.objects.order_by("pk").values_list("pk", "confirmed")),
        list(
            SubstitutionRequest.objects.order_by("pk").values_list(
                "pk", "state", "outcome", "handled_by_id", "appointment_id"
            )
        ),
        list(Consent.objects.order_by("pk").values_list("pk", "withdrawn_at")),
    )


class Personas:
    """One logged-in client per persona; each request leaves its session as it found it."""

    def __init__(self, scenario: World, *, tokens: bool = False) -> None:
        """Session clients; with ``tokens``, API clients sending an API token instead."""
        self.clients: dict[str, Client] = {}
        self.sessions: dict[str, str] = {}
        for persona in (*PERSONAS, ADMINISTRATOR):
            client = Client()
            if persona != "anonymous" and tokens:
                _token, key = api_token_create(user=scenario.users[persona])
                client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
            elif persona != "anonymous":
                login(client, scenario.users[persona])
                self.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
            self.clients[persona] = client

    def request(self, persona: str, method: str, path: str, data: Any, query: Any):
        client = self.clients[persona]
        client.cookies.clear()
        if persona in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        cache.clear()  # throttles and rate limits count nothing across cases
        if method == "GET":
            return client.get(path, query or {})
        if method == "DELETE":
            return client.delete(path)
        if method == "PATCH":
            return client.patch(path, data or {}, content_type="application/json")
        if path.startswith("/api/"):
            return client.post(path, data or {}, content_type="application/json")
        return client.post(path, data or {})


def ask(personas: Personas, persona: str, case: Case, path: str, scenario: World):
    data = case.data(scenario) if case.data else None
    query = case.query(scenario) if case.query else None
    expected = case.expect.get(persona)
    refused = case.method != "GET" and (
        expected in REFUSALS or (isinstance(expected, int) and expected >= 400)
    )
    with transaction.atomic():
        before = snapshot() if refused else None
        response = personas.request(persona, case.method, path, data, query)
        changed = before is not None and snapshot() != before
        transaction.set_rollback(True)
    return outcome_of(response), changed
