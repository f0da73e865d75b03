"""The one family of errors that services raise.

Every domain error carries a stable ``code`` (clients switch on it), an HTTP
status for the API, and a message in the user's language. The web and API
layers translate them in one place each (``core.api.exception_handler`` and
``core.views.domain_error_message``), never per view.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class DomainError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    default_message: ClassVar[Any] = _("The request could not be carried out.")

    def __init__(self, message: Any = None, **params: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.params = params
        super().__init__(str(self.message))

    @property
    def detail(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("You are not allowed to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This conflicts with the current state.")


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    default_message = _("The data sent is not valid.")


# --- The proof-of-work against bots (core.antibot) ---------------------------------


class ProofOfWorkRequired(DomainError):
    code = "proof_of_work_required"
    status = 400
    default_message = _(
        "The form was sent without the anti-robot check. Please reload the page and send it again."
    )


class ProofOfWorkInvalid(DomainError):
    code = "proof_of_work_invalid"
    status = 400
    default_message = _(
        "The anti-robot check is not valid, has expired or was already used. "
        "Please reload the page and send the form again."
    )


class ProofOfWorkTooEarly(DomainError):
    """A no-script submission before the wait: nothing changed, the same token
    will do once ``seconds`` have passed."""

    code = "proof_of_work_too_early"
    status = 400

    def __init__(self, *, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(
            ngettext(
                "Please wait %(seconds)d more second, then send the form again.",
                "Please wait %(seconds)d more seconds, then send the form again.",
                seconds,
            ),
            seconds=seconds,
        )
