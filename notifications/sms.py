"""The SMS transport: the only module that talks to Twilio.

``SMS_BACKEND=console`` prints messages (development); ``twilio`` sends them
through the official SDK, from ``TWILIO_MESSAGING_SERVICE_SID`` or else
``TWILIO_FROM_NUMBER``, with a status callback URL built from
``PUBLIC_BASE_URL``. ``TWILIO_API_BASE_URL`` points the SDK's REST domain at
another server (the tests' fake Twilio); everything else in the SDK path
(request building, authentication, error parsing) is the real one.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse

from notifications.transport import PermanentSendError, TransientSendError

# Twilio error codes that no retry can fix.
# https://www.twilio.com/docs/api/errors
PERMANENT_TWILIO_CODES = frozenset(
    {
        21211,  # invalid 'To' number
        21214,  # 'To' number cannot be reached
        21408,  # permission to send to this region not enabled
        21610,  # the recipient replied STOP
        21612,  # cannot route to this number
        21614,  # not a mobile number
        30003,  # unreachable handset
        30005,  # unknown destination
        30006,  # landline
    }
)


@dataclass(frozen=True)
class SmsResult:
    provider_id: str


def status_callback_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("notifications:twilio_status")


_local = threading.local()


def twilio_client():
    """One SDK client per thread (its HTTP session is not thread-safe)."""
    from twilio.rest import Client

    config = (
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_API_BASE_URL,
    )
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != config:
        from twilio.http.http_client import TwilioHttpClient

        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS),
        )
        if settings.TWILIO_API_BASE_URL:
            # The supported seam: each REST domain of the SDK holds its base URL.
            client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
        cached = (config, client)
        _local.client = cached
    return cached[1]


def _sender() -> dict[str, str]:
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        return {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
    return {"from_": settings.TWILIO_FROM_NUMBER}


def _classify(exc: Exception) -> Exception:
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        detail = f"Twilio {exc.status} code {exc.code}: {exc.msg}"
        if exc.code in PERMANENT_TWILIO_CODES:
            return PermanentSendError(detail)
        if exc.status == 429 or exc.status >= 500:
            return TransientSendError(detail)
        # Any other 4xx: the request itself is wrong; sending it again will not help.
        return PermanentSendError(detail)
    return TransientSendError(f"{type(exc).__name__}: {exc}")


def send(*, to: str, body: str) -> SmsResult:
    """Send one SMS. Raises ``TransientSendError`` or ``PermanentSendError``."""
    if settings.SMS_BACKEND == "console":
        sys.stdout.write(f"--- SMS to {to} ---\n{body}\n---\n")
        sys.stdout.flush()
        return SmsResult(provider_id="")
    try:
        message = twilio_client().messages.create(
            to=to, body=body, status_callback=status_callback_url(), **_sender()
        )
    except Exception as exc:
        raise _classify(exc) from exc
    return SmsResult(provider_id=message.sid)


def find_sent(*, to: str, body: str, since: datetime) -> str | None:
    """The sid of a message Twilio already accepted with this body for ``to`` since
    ``since``, or None. Asked before resending a message whose previous attempt
    died mid-send, so that it is not sent twice."""
    if settings.SMS_BACKEND == "console":
        return None
    try:
        sent = twilio_client().messages.list(
            to=to, date_sent_after=since - timedelta(minutes=5), limit=50
        )
    except Exception as exc:
        raise _classify(exc) from exc
    for message in sent:
        if message.body == body:
            return message.sid
    return None
