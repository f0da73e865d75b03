"""The staff's actions (``STAFF_ROUTES``: creating, deactivating, reactivating an
account, its invitation, its second factor reset; the audit export) and the
actions (POST) of forms whose page (GET) another module bounds (``FORM_ROUTES``):
registering, changing one's e-mail or phone, deleting one's account, recording and
correcting an identity, starting and stopping an alert, saving a staff account, new
backup codes, lifting a lock-out, an agent's correction."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from accounts.models import Role
from booking.identity import Identity
from booking.models import Applicant, Site
from booking.services import applicant_create
from notifications.services import unsubscribe_token
from tests import factories
from tests.helpers.query_bounds.world import NEW_PASSWORD, Ask, World, failed_logins_yesterday

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
            before=failed_logins_yesterday,  # logging in swept the world's
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
