"""What a transport tells the outbox about a send that did not succeed."""

from __future__ import annotations


class SendError(Exception):
    """A send that did not go through. ``transient`` ones are retried later."""

    transient: bool = True

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class TransientSendError(SendError):
    """Network trouble, rate limiting, a provider's 5xx, an SMTP 4xx: try again later."""

    transient = True


class PermanentSendError(SendError):
    """An invalid number, an unsubscribed recipient, an SMTP 5xx: retrying cannot help."""

    transient = False
