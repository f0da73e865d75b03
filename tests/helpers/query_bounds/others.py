"""A walk-in's file taken over by its person (``CLAIM_ROUTES``), the convocation
(``CONVOCATION_ROUTES``) and the language switch (``OTHER_ROUTES``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from booking.models import Applicant
from tests.helpers.query_bounds.world import Ask, World


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
