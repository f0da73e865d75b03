"""The matrix's cases for the agents' and supervisors' back office.

Correcting an identity; the counter (the site's day, check-in, done, closing
the day); closures; court-ordered convocations; finding a person, their page,
registering a walk-in and booking for them; capacity (publishing, the
calendar, a day's slots); the dashboard. Agents act at their sites,
supervisors at all: another site, or a person or an appointment there,
answers 404 like a missing one; anyone else logged in gets the 403 page.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.helpers.matrix.data import (
    _calendar_day,
    _counter_day,
    _injunction,
    _person,
    _person_appointment,
    _ref,
    _walk_in_identity,
    closure_at,
)
from tests.helpers.matrix.expectations import (
    INJUNCTION_STAFF,
    LOGIN,
    REDIRECT,
    Case,
    counter,
    office,
    outcomes,
)
from tests.personas import World


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


def _closure_form(s: World) -> dict:
    day = (timezone.localdate() + timedelta(days=30)).isoformat()
    return {"site": s.sites["site"].pk, "date_from": day, "kind": "strike", "reason": "Grève"}


CASES: dict[str, list[Case]] = {
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
}
