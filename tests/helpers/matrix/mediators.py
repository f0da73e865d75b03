"""The matrix's cases for the mediators' console.

The point's mediators, for the point's people: finding a person, registering a
walk-in, the point's hours, a person's page, consents, booking, cancelling and
moving for them; another point's person answers 404 like a missing one.
Supervisors: the console's home and raising a point's cap.
"""

from __future__ import annotations

from tests.helpers.matrix.data import _person, _person_appointment
from tests.helpers.matrix.expectations import LOGIN, REDIRECT, Case, console, outcomes
from tests.personas import World


def _walk_in_found(s: World) -> dict:
    walk_in = s.people["walk_in"]
    return {
        "by": "document",
        "document-document_number": walk_in.document_number,
        "document-birth_date": walk_in.birth_date.isoformat(),
    }


CASES: dict[str, list[Case]] = {
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
}
