"""What Twilio tells us: delivery reports and the SMS people send (STOP, START)."""

from __future__ import annotations

import unicodedata

from django.utils import timezone

from notifications.models import Message, MessageChannel, MessageStatus, SmsOptOut

_TWILIO_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}


def message_delivery_update(*, provider_id: str, provider_status: str, error_code: str = "") -> int:
    """Record what Twilio says became of a message. Final states are not
    overwritten by a late ``sent``. Returns the number of rows changed."""
    status = _TWILIO_STATUSES.get(provider_status)
    if status is None or not provider_id:
        return 0
    now = timezone.now()
    changes: dict = {"status": status, "updated_at": now}
    if status == MessageStatus.DELIVERED:
        changes["delivered_at"] = now
    if error_code:
        changes["last_error"] = f"Twilio status {provider_status}, error {error_code}"
    rows = Message.objects.filter(provider_id=provider_id, channel=MessageChannel.SMS)
    if status == MessageStatus.SENT:
        rows = rows.filter(status__in=[MessageStatus.SENDING, MessageStatus.SENT])
    else:
        rows = rows.exclude(status=MessageStatus.DELIVERED)
    return rows.update(**changes)


STOP_WORDS = frozenset({"STOP", "STOPALL", "ARRET", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


def _keyword(body: str) -> str:
    text = unicodedata.normalize("NFD", body.strip().upper())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "".join(text.split())


def sms_receive(*, phone: str, body: str) -> str | None:
    """Act on an SMS a person sent us: STOP / ARRET opt the number out of alerts
    and other non-essential SMS, START opts it back in. Returns what was done."""
    word = _keyword(body)
    if word in STOP_WORDS:
        sms_opt_out(phone=phone)
        return "stop"
    if word in START_WORDS:
        SmsOptOut.objects.filter(phone=phone).delete()
        return "start"
    return None


def sms_opt_out(*, phone: str) -> None:
    SmsOptOut.objects.get_or_create(phone=phone)
    # Alerts already owed to that number are not sent either.
    Message.objects.filter(
        destination=phone,
        channel=MessageChannel.SMS,
        essential=False,
        status=MessageStatus.PENDING,
    ).update(status=MessageStatus.FAILED, last_error="opted out (STOP)", updated_at=timezone.now())
