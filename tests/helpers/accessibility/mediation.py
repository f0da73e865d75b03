"""The accessibility visits of the mediators' console."""

from __future__ import annotations

from django.urls import reverse

from tests.helpers.accessibility.visits import _BOOKING, Visit, nothing_free

MEDIATION_PAGES: dict[str, list[Visit]] = {
    # --- The mediators' console
    "mediation:home": [Visit("mediator"), Visit("supervisor", label="the points")],
    "mediation:find": [
        Visit("mediator"),
        Visit("mediator", errors={"document-document_number": "", "document-birth_date": "x"}),
        Visit(
            "mediator",
            label="nobody found",
            errors={"document-document_number": "ZZ0000000", "document-birth_date": "1990-01-01"},
        ),
    ],
    "mediation:register": [
        Visit("mediator"),
        Visit("mediator", errors={"surname": "", "birth_date": "31/02/1990", "phone": "12"}),
    ],
    "mediation:cap_raise": [
        Visit("supervisor"),
        Visit(
            "supervisor",
            label="a point chosen",
            path=lambda s: reverse("mediation:cap_raise") + f"?access_point={s.points['point'].pk}",
        ),
        Visit("supervisor", errors={"reason": "", "extra": "0"}),
    ],
    "mediation:hours": [
        Visit("mediator"),
        Visit(
            "mediator",
            errors={
                "d0_morning_opens": "12:00",
                "d0_morning_closes": "09:00",
                "d1_afternoon_opens": "14:00",
            },
        ),
    ],
    "mediation:person": [Visit("mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk})],
    "mediation:consent_give": [
        Visit("mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk}),
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["walk_in"].pk},
            errors={"given_by_name": ""},
        ),
    ],
    "mediation:book_procedures": [
        Visit("mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk})
    ],
    "mediation:book_sites": [
        Visit(
            "mediator", kwargs=lambda s: {"pk": s.people["walk_in"].pk, "procedure": "procedure"}
        ),
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "procedure": "procedure"},
            state=nothing_free,
            label="nothing free",
        ),
    ],
    "mediation:book_days": [
        Visit(
            "mediator",
            path=lambda s: (
                reverse(
                    "mediation:book_days",
                    kwargs={"pk": s.people["walk_in"].pk, **_BOOKING},
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "mediation:book_confirm": [
        Visit(
            "mediator",
            kwargs=lambda s: {"pk": s.people["walk_in"].pk, "slot_id": s.slots["spare"].pk},
        )
    ],
    "mediation:appointment_cancel": [
        Visit(
            "mediator",
            kwargs=lambda s: {
                "pk": s.people["walk_in"].pk,
                "reference": s.appointments["walk_in"].reference,
            },
        )
    ],
    "mediation:appointment_reschedule": [
        Visit(
            "mediator",
            path=lambda s: (
                reverse(
                    "mediation:appointment_reschedule",
                    kwargs={
                        "pk": s.people["walk_in"].pk,
                        "reference": s.appointments["walk_in"].reference,
                    },
                )
                + "?date="
                + s.slots["free"].starts_at.date().isoformat()
            ),
        )
    ],
    "mediation:appointment_reschedule_confirm": [
        Visit(
            "mediator",
            kwargs=lambda s: {
                "pk": s.people["walk_in"].pk,
                "reference": s.appointments["walk_in"].reference,
                "slot_id": s.slots["free"].pk,
            },
        )
    ],
}
