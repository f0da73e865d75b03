"""The account pages that log in and out, confirm contacts, reset and change a
password and handle the second factor (``ACCOUNT_ROUTES``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PhoneVerification
from tests import factories
from tests.helpers.inbox import confirm_path, sms_code
from tests.helpers.otp import totp_code
from tests.helpers.query_bounds.world import NEW_PASSWORD, Ask, World, failed_logins_yesterday


def _reset_link(world: World) -> str:
    user = world.applicant.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
    )


def _set_password_page(world: World) -> str:
    """Following the link stores its token in the session and leads here."""
    response = world.client.get(_reset_link(world))
    assert response.status_code == 302
    return response.url


def _setup_device(world: World) -> TOTPDevice:
    return TOTPDevice.objects.get(user=world.applicant.user, confirmed=False)


def _codes_sent_a_while_ago(world: World) -> None:
    """The last code is older than the cool-down between two codes."""
    cool_down = timedelta(seconds=settings.ACCOUNTS_PHONE_CODE_RESEND_SECONDS)
    PhoneVerification.objects.filter(user=world.newcomer).update(
        created_at=timezone.now() - cool_down - timedelta(seconds=1)
    )


ACCOUNT_ROUTES: dict[str, list[Ask]] = {
    # Axes: the failures of this e-mail and address, the sweep of expired ones
    # (a SELECT and two DELETEs), the reset of this login's (the same); the
    # account; the new session (exists?, INSERT, then UPDATE, each INSERT and
    # UPDATE in a transaction); last_login; the applicant's two device tables
    # (has two-factor authentication?).
    "accounts:login": [
        Ask(
            "anonymous",
            "post",
            lambda w: reverse("accounts:login"),
            18,
            302,
            data=lambda w: {
                "username": w.applicant.user.email,
                "password": factories.DEFAULT_PASSWORD,
            },
        )
    ],
    # Session and user; Axes's sweep of expired failures (a SELECT and two
    # DELETEs); the session, read again and deleted.
    "accounts:logout": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:logout"),
            7,
            302,
            before=failed_logins_yesterday,  # logging in swept the world's
        )
    ],
    # Session and user; the e-mail's outbox row, in a transaction.
    "accounts:email_resend": [
        Ask("newcomer", "post", lambda w: reverse("accounts:email_resend"), 5, 302)
    ],
    # Session and user; the account locked and saved, in two nested transactions.
    "accounts:email_confirm": [
        Ask("newcomer", "get", lambda w: confirm_path(w.newcomer.email), 8, 302)
    ],
    # Session and user; the pending code, its try counted; in a transaction:
    # the number's row (get_or_create: 2 queries and a nested transaction) locked,
    # the accounts it confirms counted, the code used, the account saved.
    "accounts:phone_confirm": [
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("accounts:phone_confirm"),
            14,
            302,
            data=lambda w: {"code": sms_code(w.newcomer.phone)},
        )
    ],
    # Session and user; the pending code; in a transaction: the account locked,
    # the last code (cool-down), the earlier codes expired, the new one inserted
    # then given its hash, its SMS's outbox row.
    "accounts:phone_code_resend": [
        Ask(
            "newcomer",
            "post",
            lambda w: reverse("accounts:phone_code_resend"),
            11,
            302,
            before=_codes_sent_a_while_ago,
        )
    ],
    # The accounts with that address (no session yet), and the e-mail owed to it
    # through the outbox (one INSERT; sent once the request commits).
    "accounts:password_reset": [
        Ask(
            "anonymous",
            "post",
            lambda w: reverse("accounts:password_reset"),
            2,
            302,
            data=lambda w: {"email": w.applicant.user.email},
        )
    ],
    "accounts:password_reset_done": [
        Ask("anonymous", "get", lambda w: reverse("accounts:password_reset_done"), 0, 200)
    ],
    "accounts:password_reset_confirm": [
        # The account; the session that keeps the token (exists?, INSERT, in a transaction).
        Ask("anonymous", "get", _reset_link, 5, 302, label="link"),
        # Session; the account.
        Ask("anonymous", "get", _set_password_page, 2, 200, label="form"),
        # Session; the account, saved; in a transaction: the change audited and the
        # six tokens revoked (their ids, one DELETE, an audit row; nested); the
        # login's failures lifted (a SELECT, two DELETEs); the session saved.
        Ask(
            "anonymous",
            "post",
            _set_password_page,
            17,
            302,
            data=lambda w: {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        ),
    ],
    "accounts:password_reset_complete": [
        Ask("anonymous", "get", lambda w: reverse("accounts:password_reset_complete"), 0, 200)
    ],
    "accounts:password_change": [
        Ask("applicant", "get", lambda w: reverse("accounts:password_change"), 2, 200),
        # Session and user; the account saved; in a transaction: the change audited
        # and the six tokens revoked (as above); the session's new key (exists?,
        # INSERT), the old one read and deleted, the new one saved.
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:password_change"),
            20,
            302,
            data=lambda w: {
                "old_password": factories.DEFAULT_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        ),
    ],
    "accounts:password_change_done": [
        Ask("applicant", "get", lambda w: reverse("accounts:password_change_done"), 2, 200)
    ],
    "accounts:otp_setup": [
        # Session and user; the two device tables (a device already?); in a
        # transaction, the unconfirmed devices dropped and a new one made; whether
        # one is confirmed (the page says "replace"); the session saved.
        Ask("applicant", "get", lambda w: reverse("accounts:otp_setup"), 12, 200),
        # Session and user; the two device tables; the device in the session, read
        # again by the service and saved by its check of the code; in a transaction:
        # confirmed, the other devices deleted, the backup codes' device
        # (get_or_create) and its ten codes (one DELETE, one INSERT), an audit row;
        # the other sessions and the tokens ended (the session generation bumped and
        # read back, the tokens looked for, an audit row); the session's new key,
        # the old one deleted, the new one saved.
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:otp_setup"),
            35,
            302,
            data=lambda w: {"code": totp_code(_setup_device(w))},
            before=lambda w: w.client.get(reverse("accounts:otp_setup")),
        ),
    ],
    "accounts:otp_verify": [
        # Session and user; the agent's authenticator (a device to check?).
        Ask("agent, password only", "get", lambda w: reverse("accounts:otp_verify"), 3, 200),
        # Session, user, device; the device locked and saved, in a transaction; the
        # session's new key, the old one deleted, the new one saved.
        Ask(
            "agent, password only",
            "post",
            lambda w: reverse("accounts:otp_verify"),
            16,
            302,
            data=lambda w: {"code": totp_code(TOTPDevice.objects.get(user=w.agent))},
        ),
    ],
    "accounts:otp_disable": [
        # Session, user and the OTP device of a verified session.
        Ask("secured", "get", lambda w: reverse("accounts:otp_disable"), 3, 200),
        # Session, user, device; in a transaction: each device table counted then
        # deleted (the backup codes' device: read, its codes and itself deleted),
        # an audit row; the session saved.
        Ask(
            "secured",
            "post",
            lambda w: reverse("accounts:otp_disable"),
            15,
            302,
            data=lambda w: {"password": factories.DEFAULT_PASSWORD},
        ),
    ],
    # Session and user; the DELETE and its audit row, in a transaction.
    "accounts:token_revoke": [
        Ask(
            "applicant",
            "post",
            lambda w: reverse("accounts:token_revoke", args=[w.token.pk]),
            6,
            302,
        )
    ],
}
