"""The matrix's cases for the API (``/api/v1/``), but the fair allocation's.

Tokens; reference data and availability; appointments (reads by the object
rules, writes by applicants for themselves, staff and mediators for a person);
mediation; the counter, closures and court orders; the agents' capacity and
dashboard; the substitution route; taking over a walk-in's file. No
credentials is a 401. ``ANYTHING_ELSE`` is the JSON 404 of any other path under
``/api/``, the matrix's last entries.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.helpers.matrix.data import (
    _convocation_cases,
    _counter_day,
    _injunction,
    _ref,
    _substitution_form,
    _walk_in_identity,
    _walk_in_proofs,
    closure_at,
    substitution_request,
)
from tests.helpers.matrix.expectations import (
    API_READ,
    PUBLIC,
    Case,
    api_mediators,
    api_visible,
    api_writes,
    counter_api,
    outcomes,
)
from tests.personas import World


def _consent(s: World) -> dict:
    return {
        "given_by": "person",
        "method": "oral",
        "purposes": ["booking"],
        "valid_until": s.slots["free"].starts_at.date().isoformat(),
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


def _substitution_api(s: World) -> dict:
    return {
        **_substitution_form(s),
        "procedure": s.procedure.slug,
        "site": s.sites["site"].slug,
    }


CASES: dict[str, list[Case]] = {
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
}

ANYTHING_ELSE: dict[str, list[Case]] = {
    # --- Anything else under /api/: a JSON 404
    "api:not-found": [Case(outcomes(404), path=lambda s: "/api/v1/no-such-thing/")],
    "^api/": [Case(outcomes(404), path=lambda s: "/api/v2/appointments/")],
}
