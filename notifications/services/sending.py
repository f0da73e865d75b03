"""Sending one owed message: the claim, the transport, the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.messages import PHONE_CODE, SECRET_MESSAGE_KEYS, is_secret
from accounts.services import secret_message_context
from notifications import email as email_transport
from notifications import gsm, rendering
from notifications import sms as sms_transport
from notifications.models import Message, MessageChannel, MessageStatus, SmsOptOut
from notifications.outbox import dispatch
from notifications.rendering import render
from notifications.services import waitlist
from notifications.services.appointments import appointment_message_render
from notifications.services.sms_budget import (
    sms_budget_give_back,
    sms_budget_next_day,
    sms_budget_take,
)
from notifications.transport import PermanentSendError, SendError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    status: str  # "sent", "retry", "failed", "skipped", "held" (daily SMS budget)
    detail: str = ""


def _backoff(attempts: int) -> timedelta:
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.NOTIFICATIONS_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


# Rendered by the worker before the first send from what the row keeps, then
# stored, per kind; any other kind that is not a secret's is an appointment event's.
_RENDERERS = waitlist.RENDERERS


def _secret_context(message: Message) -> dict | None:
    """The context of a secret-bearing kind (``accounts.messages.is_secret``),
    asked of the app that owns the secret: accounts for its kinds, the waiting
    list for an offer's link (``waitlist.SECRET_CONTEXTS``)."""
    if message.template_key in SECRET_MESSAGE_KEYS:
        return secret_message_context(message)
    context_of = waitlist.SECRET_CONTEXTS.get(message.template_key)
    return context_of(message) if context_of is not None else None


def render_secret(message: Message) -> rendering.Rendered:
    """The body of a message that carries a secret (``accounts.messages``: the
    account's codes and links, and the kinds other apps registered, the
    waiting list's offer link), rendered with the secret derived now. Kept in
    memory by the caller: never stored. Raises ``PermanentSendError`` when the
    secret is no longer worth sending (the account is gone, the code expired or
    was used, the offer is no longer open)."""
    context = _secret_context(message)
    if context is None:
        raise PermanentSendError("nothing to confirm any more: the code or link is no longer valid")
    return render(
        key=message.template_key,
        channel=message.channel,
        language=message.language,
        context=context,
    )


def message_send(*, message_id: int, now: datetime | None = None) -> SendOutcome:
    """Claim message ``message_id``, send it, record what happened.

    Does nothing (``skipped``) when the message is not pending and due:
    another worker has it, it was sent already, or it waits for a retry or
    for the end of the quiet hours.
    """
    now = now or timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, status=MessageStatus.PENDING, next_attempt_at__lte=now
    ).update(
        status=MessageStatus.SENDING,
        attempts=F("attempts") + 1,
        claimed_at=now,
        updated_at=now,
    )
    if claimed != 1:
        return SendOutcome("skipped")
    message = Message.objects.select_related(
        "appointment__slot__site", "appointment__procedure"
    ).get(pk=message_id)
    # A body that carries a secret is rendered at each attempt and never stored;
    # one stored before that rule (an older row) is blanked once it is done with.
    secret = is_secret(message.template_key)
    done_with = {"text": "", "html": ""} if secret else {}
    # Only the attempt that claimed the row may record its result.
    mine = Message.objects.filter(
        pk=message_id, status=MessageStatus.SENDING, attempts=message.attempts
    )

    if (
        message.channel == MessageChannel.SMS
        and not message.essential
        and SmsOptOut.objects.filter(phone=message.destination).exists()
    ):
        mine.update(
            status=MessageStatus.FAILED, last_error="opted out (STOP)", updated_at=timezone.now()
        )
        return SendOutcome("failed", "opted out")

    budgeted = message.channel == MessageChannel.SMS and message.template_key != PHONE_CODE
    if budgeted and not sms_budget_take(now=now):
        if not message.essential:
            # An alert a day late is noise, and would spend tomorrow's budget first.
            mine.update(
                status=MessageStatus.FAILED,
                last_error="daily SMS budget reached",
                updated_at=timezone.now(),
            )
            return SendOutcome("failed", "daily SMS budget reached")
        # Owed still: it waits for tomorrow's budget (the sweep hands it over then).
        mine.update(
            status=MessageStatus.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=sms_budget_next_day(now=now),
            last_error="daily SMS budget reached",
            updated_at=timezone.now(),
        )
        return SendOutcome("held", "daily SMS budget reached")

    try:
        if not message.text:
            try:
                if secret:
                    rendered = render_secret(message)
                    message.subject = message.subject or rendered.subject[:200]
                    message.text, message.html = rendered.text, rendered.html
                else:
                    _RENDERERS.get(message.template_key, appointment_message_render)(
                        message=message
                    )
            except SendError:
                raise
            except Exception as exc:  # a template bug: retrying will not fix it
                logger.exception("Could not render message %s.", message_id)
                raise PermanentSendError(f"rendering failed: {exc!r}") from exc
            if secret:
                mine.update(subject=message.subject)
            else:
                mine.update(subject=message.subject, text=message.text, html=message.html)
        provider_id = _transmit(message)
    except SendError as exc:
        done = timezone.now()
        if budgeted:
            sms_budget_give_back(now=now)  # the budget counts SMS sent, not attempts
        if exc.transient and message.attempts < settings.NOTIFICATIONS_MAX_ATTEMPTS:
            retry_at = max(done, now) + _backoff(message.attempts)
            mine.update(
                status=MessageStatus.PENDING,
                next_attempt_at=retry_at,
                last_error=exc.detail[:2000],
                updated_at=done,
            )
            _enqueue_later(message_id, retry_at)
            return SendOutcome("retry", exc.detail)
        mine.update(
            status=MessageStatus.FAILED, last_error=exc.detail[:2000], updated_at=done, **done_with
        )
        return SendOutcome("failed", exc.detail)
    done = timezone.now()
    mine.update(
        status=MessageStatus.SENT,
        provider_id=provider_id,
        sent_at=done,
        in_doubt=False,
        updated_at=done,
        **done_with,
    )
    return SendOutcome("sent")


def sms_body(message: Message) -> str:
    """What goes to the provider: the rendered text, which fits
    ``SMS_MAX_SEGMENTS`` (``rendering``), unless it was rendered when it was
    owed (an alert, a reminder) and the budget was lowered since: then cut
    (``gsm.truncate``) rather than sent longer, and an error logged."""
    budget = settings.SMS_MAX_SEGMENTS
    if gsm.segments(message.text) <= budget:
        return message.text
    logger.error(
        "Message %s was rendered longer than SMS_MAX_SEGMENTS=%d: sent cut.", message.pk, budget
    )
    return gsm.truncate(message.text, max_segments=budget)


def _transmit(message: Message) -> str:
    if message.channel == MessageChannel.SMS:
        body = sms_body(message)
        if message.in_doubt:
            # A previous attempt died mid-send: ask before sending again.
            # It cannot have been sent before it was created.
            already = sms_transport.find_sent(
                to=message.destination, body=body, since=message.created_at
            )
            if already:
                return already
        return sms_transport.send(to=message.destination, body=body).provider_id
    email_transport.send(message)
    return ""


def _enqueue_later(message_id: int, when: datetime) -> None:
    if dispatch.is_eager():
        return  # an eager retry would run now and find the message not due; the sweep has it
    try:
        dispatch.task_publish(dispatch.MESSAGE_SEND, args=(message_id,), eta=when)
    except Exception:
        logger.warning("Could not schedule the retry of message %s; the sweep will.", message_id)
