"""The messages that carry a secret: the e-mail confirmation link, the SMS
code, the staff invitation link and the password-reset link.

The outbox (``notifications.models.Message``) never holds their secret. The
row keeps what the secret is derived from (``context``: an account, an
address, a code's row, none of them a secret) and no body; the worker renders
the body in memory at each attempt (``accounts.services.secret_message_context``, then
``notifications.services.render_secret``) and never writes it back. A retry,
the sweep's re-send or an in-doubt SMS derives the same message again, so
nothing is lost when a worker dies. Pages, the data export and the admin show
these messages by their kind only (``message_text_shown``). An app above
accounts whose messages carry a secret too registers its kinds here
(``secret_kinds_register``: the waiting list's offer link).

The secrets derive from ``SECRET_KEY`` and the row (see ``docs/messages-and-
secrets.md``): reading the database is not enough to confirm an address or a
number, as it was not enough to forge a link before.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EMAIL_CONFIRM = "email_confirm"
PHONE_CODE = "phone_code"
STAFF_INVITE = "staff_invite"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a template key, not a password

# This module's kinds (``accounts.services.secret_message_context`` renders them).
SECRET_MESSAGE_KEYS = frozenset({EMAIL_CONFIRM, PHONE_CODE, STAFF_INVITE, PASSWORD_RESET})

_SHOWN_INSTEAD = {
    EMAIL_CONFIRM: _("Link to confirm an e-mail address (shown in the e-mail only)"),
    PHONE_CODE: _("Confirmation code (shown in the text message only)"),
    STAFF_INVITE: _("Link to choose a password (shown in the e-mail only)"),
    PASSWORD_RESET: _("Link to choose a new password (shown in the e-mail only)"),
}


def secret_kinds_register(shown_instead: Mapping[str, Promise]) -> None:
    """Declare kinds of message of an app above accounts that carry a secret
    too (the waiting list's offer and its link: ``allocation.messages``), with
    what pages show instead of their body. Called from that app's
    ``AppConfig.ready()``. Accounts knows nothing more of them: notifications
    says what each kind is rendered from (``notifications.services.sending``)."""
    _SHOWN_INSTEAD.update(shown_instead)


def is_secret(template_key: str) -> bool:
    """Whether ``template_key``'s body is rendered at each attempt and never
    stored: this module's kinds and those another app registered."""
    return template_key in _SHOWN_INSTEAD


def message_text_shown(message) -> str:
    """What a page, the data export or the admin may show of ``message``'s body:
    the text, or for a secret-bearing kind only what kind of message it is
    (whatever the row holds: rows written before the body was left out too)."""
    if is_secret(message.template_key):
        return str(_SHOWN_INSTEAD[message.template_key])
    return message.text


def message_subject_shown(message) -> str:
    if is_secret(message.template_key):
        return message_text_shown(message)
    return message.subject
