"""The accessibility visits of the back office: the supervisors' pages, and the
agents' (the counter, court orders, finding and booking for a person, capacity)."""

from __future__ import annotations

from django.urls import reverse

from tests.helpers.accessibility.visits import (
    _BOOKING,
    _WRONG,
    NAMESAKES,
    Visit,
    _counter_day_path,
    _with_a_closure,
    locked_login,
    namesakes,
    nothing_free,
    own_checked_in,
    person_chosen,
)
from tests.helpers.matrix import _calendar_day, closure_at, injunction_at

BACKOFFICE_PAGES: dict[str, list[Visit]] = {
    # --- Supervisors
    "accounts:lockouts": [Visit("supervisor", label="a locked login", state=locked_login)],
    "staff:list": [Visit("supervisor")],
    "staff:create": [Visit("supervisor"), Visit("supervisor", errors={"email": _WRONG})],
    "staff:edit": [Visit("supervisor", kwargs=lambda s: {"user_id": s.colleague.pk})],
    "audit:search": [
        Visit("supervisor", label="the trail"),
        Visit("supervisor", query={"date_from": "not-a-date"}, label="a wrong date"),
    ],
    # --- Agents
    "agent:identity_correct": [
        Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk},
            errors={"surname": "", "reason": ""},
        ),
    ],
    # --- Agents at the counter (the world's appointments are in three days)
    "agent:day": [
        Visit("agent", label="today, nobody"),
        Visit("agent", path=lambda s: _counter_day_path(s, "agent:day"), label="a day of rows"),
        Visit(
            "supervisor",
            path=lambda s: _counter_day_path(s, "agent:day"),
            label="one checked in, the choice of site",
            state=own_checked_in,
        ),
        Visit("agent", query={"date": "not-a-date"}, label="a wrong date"),
    ],
    "agent:checkin": [
        Visit("agent"),
        Visit("agent", errors={"reference": "", "document_number": ""}),
        # A refusal re-renders the form with the refusal's status (here: no such reference).
        Visit(
            "agent",
            label="an unknown reference",
            errors={"reference": "ZZZZ2222", "document_number": "X1"},
            status=404,
            template="office/counter/checkin.html",
        ),
        Visit("supervisor", label="with the override"),
    ],
    "agent:close_day": [
        Visit("agent", path=lambda s: _counter_day_path(s, "agent:close_day", days=0)),
    ],
    "agent:closures": [Visit("agent", label="with a closure", kwargs=_with_a_closure)],
    "agent:closure_new": [
        Visit("agent"),
        Visit("agent", errors={"date_from": "31/02/2026", "reason": ""}),
    ],
    "agent:closure": [Visit("agent", kwargs=lambda s: {"pk": closure_at(s, "site").pk})],
    # --- Agents: court-ordered convocations
    "agent:injunctions": [
        Visit("agent"),
        Visit("supervisor", query={"state": "overdue"}, label="filtered"),
    ],
    "agent:injunction_new": [
        Visit("agent"),
        Visit("agent", errors={"document-document_number": "", "document-birth_date": "x"}),
        Visit("agent", errors={"walk_in-surname": "", "walk_in-birth_date": "x"}),
        # The second step: the person found, the order's form.
        Visit("agent", label="the order's form", state=person_chosen),
    ],
    "agent:injunction": [
        Visit("agent", kwargs=lambda s: {"pk": injunction_at(s, "site").pk}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": injunction_at(s, "site").pk},
            query={"pools": "all"},
            label="every pool",
        ),
    ],
    "agent:injunction_convocation": [
        Visit(
            "agent",
            path=lambda s: (
                reverse("agent:injunction", args=[injunction_at(s, "site").pk]) + "?pools=all"
            ),
            errors={},
            form='main form[action$="/convocation/"]',
        )
    ],
    # --- Agents: finding a person, their page, registering a walk-in, booking for them
    "agent:search": [
        Visit("agent"),
        Visit("agent", label="a surname alone", errors={"name-surname": "Diallo"}),
        Visit("agent", label="nobody found", errors={"document-document_number": "ZZ0000000"}),
        Visit(
            "agent",
            label="several people found",
            state=namesakes,
            submit={
                "name-surname": NAMESAKES["surname"],
                "name-birth_date": NAMESAKES["birth_date"].isoformat(),
            },
        ),
    ],
    "agent:register": [
        Visit("agent"),
        Visit("agent", errors={"surname": "", "birth_date": "31/02/1990", "phone": "12"}),
    ],
    "agent:person": [Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk})],
    "agent:book_procedures": [Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk})],
    "agent:book_sites": [
        Visit("agent", kwargs=lambda s: {"pk": s.people["applicant"].pk, "procedure": "procedure"}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk, "procedure": "procedure"},
            state=nothing_free,
            label="nothing free",
        ),
    ],
    "agent:book_days": [
        Visit(
            "agent",
            path=lambda s: (
                reverse(
                    "agent:book_days",
                    kwargs={"pk": s.people["applicant"].pk, **_BOOKING},
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "agent:book_confirm": [
        Visit(
            "agent",
            kwargs=lambda s: {"pk": s.people["applicant"].pk, "slot_id": s.slots["spare"].pk},
        )
    ],
    "agent:appointment_cancel": [
        Visit(
            "agent",
            kwargs=lambda s: {
                "pk": s.people["applicant"].pk,
                "reference": s.appointments["own"].reference,
            },
        )
    ],
    "agent:appointment_reschedule": [
        Visit(
            "agent",
            path=lambda s: (
                reverse(
                    "agent:appointment_reschedule",
                    kwargs={
                        "pk": s.people["applicant"].pk,
                        "reference": s.appointments["own"].reference,
                    },
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "agent:appointment_reschedule_confirm": [
        Visit(
            "agent",
            kwargs=lambda s: {
                "pk": s.people["applicant"].pk,
                "reference": s.appointments["own"].reference,
                "slot_id": s.slots["free"].pk,
            },
        )
    ],
    # --- Agents: capacity
    "agent:publish": [
        Visit("agent"),
        Visit("agent", errors={"counters": "", "range_1_start": "09:00"}),
        Visit(
            "agent",
            label="the preview",
            submit={
                "weekdays": True,
                "range_1_start": "09:00",
                "range_1_end": "11:00",
                "slot_minutes": "30",
                "counters": "3",
                "mediation_counters": "1",
                "priority_counters": "1",
            },
            button='button[value="preview"]',
        ),
    ],
    "agent:calendar": [
        Visit("agent", label="the week"),
        Visit(
            "agent",
            query={"site": "site", "procedure": "procedure", "view": "month"},
            label="the month",
        ),
    ],
    "agent:calendar_day": [
        Visit("agent", kwargs=_calendar_day),
        # The booked slot (two appointments) reduced to none: refused, said at the top.
        Visit("agent", kwargs=_calendar_day, errors={"capacity": "0"}),
    ],
    "agent:dashboard": [
        Visit("supervisor", label="every site"),
        Visit("agent", query={"site": "site", "period": "past"}, label="one site, past weeks"),
        Visit("agent", query={"period": "forever"}, status=400, label="a wrong period"),
    ],
}
