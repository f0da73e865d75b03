"""Typed errors of the substitution services, each with a stable ``code``."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotFound


class RequestNotFound(NotFound):
    # Also what a request the caller may not see answers, and a wrong pair of
    # tracking number and date of birth: the same as one that does not exist.
    code = "substitution_request_not_found"
    default_message = _("No request matches this tracking number and date of birth.")


class ContactMissing(InvalidInput):
    code = "contact_missing"
    default_message = _(
        "Give at least one way to answer you: a mobile phone, an e-mail address or a "
        "postal address (it may be that of an association that receives your mail)."
    )


class InvalidRequest(InvalidInput):
    code = "invalid_substitution_request"
    default_message = _("The request is not valid.")


class AlreadyAnswered(Conflict):
    code = "substitution_already_answered"
    default_message = _("This request has already been answered.")


class ReasonMissing(InvalidInput):
    code = "answer_reason_missing"
    default_message = _("Give the reason the person will read.")
