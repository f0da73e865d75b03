"""The matrix's cases for the applicants' pages: booking and convocations, alerts,
the record of attempts.

Applicants book, cancel and move for themselves, and take over a walk-in's
file; the convocation is for whoever may see the appointment (staff print it
for someone); alerts are the applicant's own, their unsubscribe link works
without logging in; the record of attempts is the applicant's own, staff see a
person's they may act for, and its verification page is public.
"""

from __future__ import annotations

from attempts.services import record_issue
from notifications.services import unsubscribe_token
from tests.helpers.matrix.data import _convocation_cases, _ref, _walk_in_proofs
from tests.helpers.matrix.expectations import (
    LOGIN,
    PUBLIC,
    REDIRECT,
    Case,
    applicant_page,
    outcomes,
)

CASES: dict[str, list[Case]] = {
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
}
