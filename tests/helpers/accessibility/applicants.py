"""The accessibility visits of the applicants' pages: booking, their appointments,
alerts, and the record of attempts."""

from __future__ import annotations

from django.urls import reverse

from tests.helpers.accessibility.visits import (
    _BOOKING,
    Visit,
    _issued_code,
    _ref,
    attempts_history,
    nothing_free,
    walk_in_reads_arabic,
)

APPLICANT_PAGES: dict[str, list[Visit]] = {
    # --- Booking, for applicants
    "booking:procedures": [Visit("applicant", label="one booked"), Visit("newcomer")],
    "booking:sites": [
        Visit("applicant", kwargs=lambda s: {"procedure": "procedure"}),
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": "procedure"},
            state=nothing_free,
            label="nothing free",
        ),
    ],
    "booking:days": [Visit("applicant", kwargs=lambda s: _BOOKING)],
    "booking:times": [
        Visit(
            "applicant",
            path=lambda s: (
                reverse("booking:times", kwargs=_BOOKING)
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "booking:confirm": [Visit("applicant", kwargs=lambda s: {"slot_id": s.slots["free"].pk})],
    "booking:identity": [
        Visit("applicant", label="on file"),
        Visit("newcomer", label="the form"),
        Visit("newcomer", label="the form", errors={"surname": "", "birth_date": "31/02/1990"}),
    ],
    "booking:identity_claim": [
        Visit("newcomer", label="the form"),
        Visit("newcomer", label="the form", errors={"reference": "", "birth_date": "31/02/1990"}),
    ],
    "booking:my_appointments": [
        Visit("applicant", label="one appointment"),
        Visit("newcomer", label="none"),
    ],
    "booking:appointment_detail": [Visit("applicant", kwargs=_ref("own"))],
    "booking:convocation": [
        Visit("applicant", kwargs=_ref("own"), label="French only"),
        Visit(
            "mediator",
            kwargs=_ref("walk_in"),
            label="printed for a walk-in, French and Arabic",
            state=walk_in_reads_arabic,
        ),
    ],
    "booking:appointment_cancel": [Visit("applicant", kwargs=_ref("own"))],
    "booking:appointment_reschedule": [
        Visit("applicant", kwargs=_ref("own")),
        Visit("applicant", kwargs=_ref("own"), state=nothing_free, label="nothing free"),
    ],
    "booking:appointment_reschedule_confirm": [
        Visit(
            "applicant",
            kwargs=lambda s: {
                "reference": s.appointments["own"].reference,
                "slot_id": s.slots["free"].pk,
            },
        )
    ],
    "notifications:alerts": [
        Visit("applicant", label="one alert"),
        Visit("other_applicant", label="none"),
    ],
    "notifications:alert_subscribe": [
        Visit("applicant", kwargs=lambda s: {"procedure": "procedure"}),
        Visit(
            "applicant",
            kwargs=lambda s: {"procedure": "procedure"},
            errors={},
            form="main form[method=post]",
        ),
    ],
    # --- The record of attempts
    "attempts:record": [
        Visit("applicant", label="searches over weeks", state=attempts_history),
        Visit("other_applicant", label="nothing recorded"),
        Visit("newcomer", label="no identity"),
    ],
    "attempts:record_for_person_page": [
        Visit(
            "mediator",
            kwargs=lambda s: {"applicant_id": s.people["walk_in"].pk},
            label="the point's walk-in",
        )
    ],
    "attempts:verify_form": [
        Visit("anonymous"),
        Visit("anonymous", errors={"code": "ABC"}),
    ],
    "attempts:verify": [
        Visit("anonymous", kwargs=_issued_code, label="an issued record", state=attempts_history)
    ],
}
