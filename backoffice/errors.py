"""Errors of the back office: booking's own, so that each code has one class
(``tests/test_i18n.py``). A site that is not the agent's answers as one that
does not exist. The abuse report's suspensions have their own."""

from django.utils.translation import gettext_lazy as _

from booking.errors import ProcedureNotFound, SiteNotFound
from core.errors import Conflict, DomainError, Forbidden, NotFound

__all__ = [
    "AccountAlreadySuspended",
    "AccountNotFound",
    "AccountNotSuspendable",
    "AccountNotSuspended",
    "ProcedureNotFound",
    "SiteNotFound",
    "SuspensionReasonInvalid",
]


class AccountNotFound(NotFound):
    code = "account_not_found"
    default_message = _("This account does not exist.")


class AccountNotSuspendable(Forbidden):
    code = "account_not_suspendable"
    default_message = _(
        "This account cannot be suspended from here: your own, a supervisor's, "
        "an administrator's or a closed account."
    )


class AccountAlreadySuspended(Conflict):
    code = "account_already_suspended"
    default_message = _("This account is already suspended.")


class AccountNotSuspended(Conflict):
    code = "account_not_suspended"
    default_message = _("This account is not suspended.")


class SuspensionReasonInvalid(DomainError):
    code = "suspension_reason_invalid"
    status = 400
    default_message = _(
        "Give the reason for the suspension (at most %(max)s characters): the person reads it."
    )
