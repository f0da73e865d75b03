"""Writes of the notifications outbox: owing, sending, sweeping, alerting.

The promise is that nothing is lost and nothing is sent twice:

- A message is an outbox row written **in the same transaction** as the event
  that owes it; ``transaction.on_commit`` hands its id to Celery, through the
  process's background publisher (``notifications.publisher``), which
  publishes the ids of a short linger as one task, off the request's path. If
  the id is not published (the broker down, the publisher's queue full, the
  process killed first) the row stays ``pending`` and the sweep publishes it
  later.
- A worker *claims* a row with one conditional UPDATE (``pending`` →
  ``sending``): of two workers given the same id, one sends, the other does
  nothing. The result is recorded with another conditional UPDATE that only
  matches the attempt that claimed it.
- A row stuck in ``sending`` means a worker died mid-send (killed, lost
  power): nobody knows whether the provider got it. The sweep puts it back in
  ``pending`` marked ``in_doubt``, and the next attempt first *asks* Twilio
  whether it already accepted that text for that number since the claim. So
  the SMS is sent exactly once as long as Twilio answers that question; an
  e-mail in doubt is sent again with the same Message-ID (mail clients fold
  the duplicate), since SMTP has no such question.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.messages import PHONE_CODE, is_secret
from booking.models import Applicant, Appointment, AppointmentStatus, Pool, Publication, Slot
from notifications import email as email_transport
from notifications import publisher, rendering
from notifications import sms as sms_transport
from notifications.models import (
    AlertChannels,
    AlertSubscription,
    FreedSeatAlert,
    Message,
    MessageChannel,
    MessageStatus,
    PublicationAnnouncement,
    SmsDailyCount,
    SmsOptOut,
)
from notifications.rendering import (
    appointment_context,
    event_context,
    event_slot,
    public_url,
    render,
)
from notifications.transport import PermanentSendError, SendError

logger = logging.getLogger(__name__)

BOOKED = "appointment_booked"
CANCELLED = "appointment_cancelled"
RESCHEDULED = "appointment_rescheduled"
REMINDER = "appointment_reminder"
NEW_SLOTS = "new_slots"

UNSUBSCRIBE_SALT = "notifications.alerts.unsubscribe"
_UNSUBSCRIBE_PLACEHOLDER = "@@UNSUBSCRIBE_URL@@"
PARIS = ZoneInfo("Europe/Paris")


def batched(items: Iterable, size: int):
    """itertools.batched, which arrives with Python 3.12."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- Owing messages ----------------------------------------------------------------


def contacts_of(
    *,
    has_account: bool,
    account_phone: str = "",
    phone_confirmed: bool = False,
    account_email: str = "",
    email_confirmed: bool = False,
    walk_in_phone: str = "",
    walk_in_email: str = "",
) -> list[tuple[str, str]]:
    """Where a person's messages go, as ``(channel, destination)`` pairs.

    The identity of an account: the account's phone and e-mail address once
    confirmed, nothing else (contacts nobody confirmed could be a third party's
    or a premium-rate number). A walk-in without an account: the contacts staff
    typed for them, checked when recorded (``booking.services.applicant_create``).
    """
    contacts = []
    if has_account:
        if account_phone and phone_confirmed:
            contacts.append((MessageChannel.SMS, account_phone))
        if account_email and email_confirmed:
            contacts.append((MessageChannel.EMAIL, account_email))
        return contacts
    if walk_in_phone:
        contacts.append((MessageChannel.SMS, walk_in_phone))
    if walk_in_email:
        contacts.append((MessageChannel.EMAIL, walk_in_email))
    return contacts


def applicant_contacts(applicant: Applicant) -> list[tuple[str, str]]:
    """``contacts_of`` an applicant. Reads the account (no query when it is
    loaded already, as ``request.user.applicant`` does)."""
    if applicant.user_id is None:
        return contacts_of(
            has_account=False, walk_in_phone=applicant.phone, walk_in_email=applicant.email
        )
    user = applicant.user
    return contacts_of(
        has_account=True,
        account_phone=user.phone,
        phone_confirmed=user.phone_verified_at is not None,
        account_email=user.email,
        email_confirmed=user.email_verified_at is not None,
    )


def _message(
    *,
    key: str,
    channel: str,
    destination: str,
    language: str,
    context: dict,
    idempotency_key: str,
    now: datetime,
    essential: bool = True,
    applicant: Applicant | None = None,
    appointment: Appointment | None = None,
    next_attempt_at: datetime | None = None,
) -> Message:
    rendered = render(key=key, channel=channel, language=language, context=context)
    return Message(
        applicant=applicant,
        appointment=appointment,
        channel=channel,
        template_key=key,
        language=language,
        destination=destination,
        subject=rendered.subject[:200],
        text=rendered.text,
        html=rendered.html,
        essential=essential,
        idempotency_key=idempotency_key,
        next_attempt_at=next_attempt_at or now,
        created_at=now,
        updated_at=now,
    )


def appointment_notify(
    *, appointment: Appointment, event: str, now: datetime | None = None
) -> list[int]:
    """Owe the applicant the messages of ``event`` (booked, cancelled, rescheduled).

    Caller is inside the event's transaction (the booking hot path): this costs
    one INSERT for all channels and nothing else. The text is rendered by the
    worker before the first send (``_render_owed``), from the slot the
    appointment had at the event, which the row keeps in ``context``. The ids
    go to Celery once the transaction commits (nothing is sent for a booking
    that rolls back).
    """
    messages = appointment_messages(appointment=appointment, event=event, now=now)
    if not messages:
        return []
    ids = [message.pk for message in Message.objects.bulk_create(messages)]
    enqueue_on_commit(ids)
    return ids


def appointment_messages(
    *, appointment: Appointment, event: str, now: datetime | None = None
) -> list[Message]:
    """The rows ``appointment_notify`` inserts, not saved: for a service that
    writes them within a statement of its own (the booking's one-statement
    path), and then hands their ids to ``enqueue_on_commit``."""
    now = now or timezone.now()
    applicant = appointment.applicant
    contacts = applicant_contacts(applicant)
    # A reschedule can happen several times: each one owes its own messages.
    occurrence = f":r{appointment.reschedule_count}" if event == RESCHEDULED else ""
    return [
        Message(
            applicant=applicant,
            appointment=appointment,
            channel=channel,
            template_key=event,
            language=applicant.preferred_language,
            destination=destination,
            context=event_context(appointment),
            idempotency_key=f"{event}:{appointment.pk}{occurrence}:{channel}:a{applicant.pk}",
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        for channel, destination in contacts
    ]


def _render_owed(message: Message) -> None:
    """Fill in the text of a message owed by an appointment event, as of the event.

    Raises ``PermanentSendError`` when there is nothing left to render from.
    """
    appointment = message.appointment
    if appointment is None:
        raise PermanentSendError("the appointment no longer exists")
    event_slot(message)  # moved since: the message speaks of the time it was owed for
    rendered = render(
        key=message.template_key,
        channel=message.channel,
        language=message.language,
        context=appointment_context(appointment),
    )
    message.subject, message.text, message.html = (
        rendered.subject[:200],
        rendered.text,
        rendered.html,
    )


def freed_seat_owe(*, slot: Slot, procedure, now: datetime | None = None) -> None:
    """A cancellation or a reschedule frees a public seat of ``slot``: owe its
    subscribers an alert. Caller is inside the transaction that frees the seat.

    One ``INSERT ... ON CONFLICT DO NOTHING`` of a ``FreedSeatAlert`` (one per
    procedure, place and window: ten cancellations in the window owe one
    alert); once the transaction commits a task fans it out. If the task is
    never published (the broker down), the row is still owed and the sweep
    hands it over again (``freed_seats_sweep``).
    """
    key = _freed_seat_record(slot=slot, procedure=procedure, now=now or timezone.now())
    if key is not None:
        transaction.on_commit(lambda: _publish_freed_seat(*key))


def _freed_seat_record(*, slot: Slot, procedure, now: datetime) -> tuple[int, int, int] | None:
    """Insert the ``FreedSeatAlert`` of the seat unless its window has one; its
    key, or None when no alert is owed (a reserved pool, a procedure without
    alerts, a seat past the booking cut-off that nobody may book online: it
    would take the window's one alert from a later seat that can be)."""
    if slot.pool != Pool.PUBLIC or not alerts_offered(procedure):
        return None
    if slot.starts_at < now + timedelta(hours=procedure.cutoff_hours) or slot.published_at > now:
        # (A booked seat is within the horizon: the horizon only moves forward.)
        return None
    window = int(now.timestamp()) // (settings.NOTIFICATIONS_FREED_SEAT_WINDOW_MINUTES * 60)
    FreedSeatAlert.objects.bulk_create(
        [
            FreedSeatAlert(
                procedure_id=procedure.pk,
                site_id=slot.site_id,
                window=window,
                slot_id=slot.pk,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return procedure.pk, slot.site_id, window


def _publish_freed_seat(procedure_id: int, site_id: int, window: int) -> None:
    from notifications.tasks import freed_seat_alert_task

    try:
        freed_seat_alert_task.apply_async(
            args=(procedure_id, site_id, window),
            retry=True,
            retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
        )
    except Exception:
        logger.warning(
            "Could not publish the freed-seat alert of procedure %s at site %s; the sweep will.",
            procedure_id,
            site_id,
            exc_info=True,
        )


def enqueue_on_commit(ids: Sequence[int]) -> None:
    """Hand ``ids`` to the send tasks once the caller's transaction commits.

    Off the request's path: the ids go to this process's background publisher
    (``notifications.publisher``), which publishes the ids of the commits of a
    short linger as one task. Published at once, in the committing thread, as
    before: when Celery is eager (the embedded defaults, the tests: delivery
    happens before the request returns), when ``NOTIFICATIONS_PUBLISH_LINGER_MS``
    is 0, and for a batch's worth of ids or more (a fan-out, in a worker: it
    gains nothing from waiting, and would crowd a request's ids out of the queue).
    """
    if ids:
        ids = list(ids)
        transaction.on_commit(lambda: _hand_over(ids))


def _hand_over(ids: list[int]) -> None:
    from config.celery import app

    if (
        app.conf.task_always_eager
        or not settings.NOTIFICATIONS_PUBLISH_LINGER_MS
        or len(ids) >= settings.NOTIFICATIONS_TASK_BATCH
    ):
        messages_enqueue(ids)
    else:
        publisher.publisher().submit(ids)


def messages_enqueue(ids: Iterable[int], *, eager: bool | None = None) -> int:
    """Hand message ids to the send tasks. Never raises: a broker that is down
    (or slow) must not fail the request that committed the event. What is not
    published stays ``pending`` and the sweep publishes it later.

    Ids go in tasks of up to ``NOTIFICATIONS_TASK_BATCH``, one publish each:
    the bookings of a publisher's linger are one publish, and a fan-out is
    limited by the database rather than by Redis round trips. ``eager``: run
    the tasks in this process (default: as Celery is configured).
    """
    from config.celery import app
    from notifications.tasks import messages_send_task

    ids = list(ids)
    if not ids:
        return 0
    size = settings.NOTIFICATIONS_TASK_BATCH
    if eager is None:
        eager = app.conf.task_always_eager
    jobs = [
        (messages_send_task, (ids[i : i + size],), len(ids[i : i + size]))
        for i in range(0, len(ids), size)
    ]
    published = 0
    try:
        if eager:
            for task, args, count in jobs:
                task.apply(args=args)
                published += count
            return published
        with app.producer_or_acquire() as producer:
            for task, args, count in jobs:
                task.apply_async(
                    args=args,
                    producer=producer,
                    retry=True,
                    retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
                )
                published += count
    except Exception:
        logger.warning(
            "Could not hand %d of %d message(s) to the broker; the sweep will.",
            len(ids) - published,
            len(ids),
            exc_info=True,
        )
    return published


# --- Sending -------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    status: str  # "sent", "retry", "failed", "skipped", "held" (daily SMS budget)
    detail: str = ""


def _backoff(attempts: int) -> timedelta:
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.NOTIFICATIONS_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


def render_secret(message: Message) -> rendering.Rendered:
    """The body of a message that carries a secret (``accounts.messages``),
    rendered with the secret derived now. Kept in memory by the caller: never
    stored. Raises ``PermanentSendError`` when the secret is no longer worth
    sending (the account is gone, the code expired or was used)."""
    from accounts.messages import secret_message_context

    context = secret_message_context(message)
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
    if budgeted and not _sms_budget_take(now):
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
            next_attempt_at=_next_budget_day(now),
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
                    _render_owed(message)
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
            _sms_budget_give_back(now)  # the budget counts SMS sent, not attempts
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


_SMS_BUDGET_TAKE = (
    "INSERT INTO notifications_smsdailycount (day, sent) VALUES (%s, 1) "
    "ON CONFLICT (day) DO UPDATE SET sent = notifications_smsdailycount.sent + 1 "
    "WHERE notifications_smsdailycount.sent < %s RETURNING sent"
)


def _sms_budget_give_back(now: datetime) -> None:
    """Uncount the SMS ``_sms_budget_take`` counted for ``now``'s day: it was not sent."""
    SmsDailyCount.objects.filter(day=now.astimezone(PARIS).date(), sent__gt=0).update(
        sent=F("sent") - 1
    )


def _sms_budget_take(now: datetime) -> bool:
    """Count one SMS against ``SMS_DAILY_BUDGET`` for ``now``'s day (Paris time).

    Not for the SMS confirmation code (``message_send`` skips it): its own
    limits per number, account and address bound it, and a code held until the
    next day would have expired, locking everyone out of registration.
    Alerts (not ``essential``) past the budget are dropped, not held.
    False when the budget is spent: nothing is counted, and the first refusal of
    the day logs an error for the operators.

    One conditional upsert: however many workers send at once, no more than the
    budget are counted (the row lock serialises them).
    """
    day = now.astimezone(PARIS).date()
    with connection.cursor() as cursor:
        cursor.execute(_SMS_BUDGET_TAKE, [day, settings.SMS_DAILY_BUDGET])
        if cursor.fetchone() is not None:
            return True
    first = SmsDailyCount.objects.filter(day=day, alerted_at__isnull=True).update(
        alerted_at=timezone.now()
    )
    if first:
        logger.error(
            "The daily SMS budget (SMS_DAILY_BUDGET=%d) is spent for %s: further SMS wait "
            "in the outbox for the next day. Check for abuse before raising it.",
            settings.SMS_DAILY_BUDGET,
            day.isoformat(),
        )
    return False


def _next_budget_day(now: datetime) -> datetime:
    """When an SMS held by the budget may go: the next day's budget opens at
    midnight, Paris time, but nobody is woken: at the end of the quiet hours."""
    start = datetime.combine(now.astimezone(PARIS).date() + timedelta(days=1), time(0), PARIS)
    return _not_quiet(start)


def _transmit(message: Message) -> str:
    if message.channel == MessageChannel.SMS:
        if message.in_doubt:
            # A previous attempt died mid-send: ask before sending again.
            # It cannot have been sent before it was created.
            already = sms_transport.find_sent(
                to=message.destination, body=message.text, since=message.created_at
            )
            if already:
                return already
        return sms_transport.send(to=message.destination, body=message.text).provider_id
    email_transport.send(message)
    return ""


def _enqueue_later(message_id: int, when: datetime) -> None:
    from config.celery import app
    from notifications.tasks import message_send_task

    if app.conf.task_always_eager:
        return  # an eager retry would run now and find the message not due; the sweep has it
    try:
        message_send_task.apply_async(
            args=(message_id,),
            eta=when,
            retry=True,
            retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
        )
    except Exception:
        logger.warning("Could not schedule the retry of message %s; the sweep will.", message_id)


def messages_sweep(
    *, now: datetime | None = None, limit: int = 1000, max_rows: int = 100_000
) -> int:
    """Re-queue messages that are due but were never handed over (broker down at
    commit, a lost task, SMS held for the night) and messages stuck in
    ``sending`` past the timeout (a worker died mid-send: they come back
    ``in_doubt``). Returns how many.

    Works through the backlog ``limit`` rows at a time (up to ``max_rows``), in
    primary-key order. Rows are taken with ``FOR UPDATE SKIP LOCKED``, so two
    sweeps at once share the work instead of waiting on each other's locks. A
    re-queued row gets ``next_attempt_at`` = now: the next sweeps leave it to
    its task for ``NOTIFICATIONS_PENDING_GRACE`` instead of queueing it again
    every minute while the workers catch up.
    """
    now = now or timezone.now()
    touch = min(now, timezone.now())  # never later than the workers' clock
    due = now - timedelta(seconds=settings.NOTIFICATIONS_PENDING_GRACE)
    stuck = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
    total, in_doubt, last_pk = 0, 0, 0
    while total < max_rows:
        with transaction.atomic():
            rows = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(
                    Q(status=MessageStatus.PENDING, next_attempt_at__lte=due)
                    | Q(status=MessageStatus.SENDING, claimed_at__lt=stuck),
                    pk__gt=last_pk,
                )
                .order_by("pk")
                .values_list("pk", "status")[:limit]
            )
            if not rows:
                break
            stuck_ids = [pk for pk, status in rows if status == MessageStatus.SENDING]
            pending_ids = [pk for pk, status in rows if status == MessageStatus.PENDING]
            if stuck_ids:
                Message.objects.filter(pk__in=stuck_ids, status=MessageStatus.SENDING).update(
                    status=MessageStatus.PENDING,
                    in_doubt=True,
                    next_attempt_at=touch,
                    updated_at=now,
                )
            if pending_ids:
                Message.objects.filter(pk__in=pending_ids, status=MessageStatus.PENDING).update(
                    next_attempt_at=touch
                )
        ids = [pk for pk, _status in rows]
        messages_enqueue(ids)
        total += len(ids)
        in_doubt += len(stuck_ids)
        last_pk = ids[-1]
        if len(ids) < limit:
            break
    if total:
        logger.info("Sweep: re-queued %d message(s), %d in doubt.", total, in_doubt)
    # Alerts owed by a freed seat whose task was lost: handed over again.
    freed_seats_sweep(now=now)
    return total


# --- Provider feedback -----------------------------------------------------------------

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
    import unicodedata

    text = unicodedata.normalize("NFD", body.strip().upper())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "".join(text.split())


def sms_inbound(*, phone: str, body: str) -> str | None:
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


# --- Reminders -------------------------------------------------------------------------


def reminders_create(*, now: datetime | None = None) -> int:
    """Owe a reminder for each appointment that starts within
    ``NOTIFICATIONS_REMINDER_DAYS`` and has none yet for its current slot.

    Appointments booked inside that window are skipped: their confirmation
    was the reminder. Idempotent: the key is per appointment and slot, so a
    second run creates nothing and a reschedule gets a new reminder.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.NOTIFICATIONS_REMINDER_DAYS)
    appointments = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            slot__starts_at__gt=now,
            slot__starts_at__lte=horizon,
            created_at__lt=F("slot__starts_at")
            - timedelta(days=settings.NOTIFICATIONS_REMINDER_DAYS),
        ).select_related("slot__site", "slot__procedure", "applicant__user")
    )
    created = 0
    for chunk in batched(appointments, 500):
        candidates = []
        for appointment in chunk:
            applicant = appointment.applicant
            for channel, destination in applicant_contacts(applicant):
                key = (
                    f"{REMINDER}:{appointment.pk}:s{appointment.slot_id}:{channel}:a{applicant.pk}"
                )
                candidates.append((key, appointment, channel, destination))
        existing = set(
            Message.objects.filter(
                idempotency_key__in=[key for key, *_rest in candidates]
            ).values_list("idempotency_key", flat=True)
        )
        messages = [
            _message(
                key=REMINDER,
                channel=channel,
                destination=destination,
                language=appointment.applicant.preferred_language,
                context=appointment_context(appointment),
                idempotency_key=key,
                now=now,
                essential=False,
                applicant=appointment.applicant,
                appointment=appointment,
                next_attempt_at=_not_quiet(now) if channel == MessageChannel.SMS else now,
            )
            for key, appointment, channel, destination in candidates
            if key not in existing
        ]
        created += _insert_and_enqueue(messages, now=now)
    return created


# --- New-slot alerts ---------------------------------------------------------------------


def _not_quiet(now: datetime) -> datetime:
    """``now``, or 08:00 Paris time when ``now`` is between 21:00 and 08:00."""
    local = now.astimezone(PARIS)
    start, end = settings.NOTIFICATIONS_QUIET_HOURS
    if local.hour >= start:
        day = local.date() + timedelta(days=1)
    elif local.hour < end:
        day = local.date()
    else:
        return now
    return datetime.combine(day, time(end), tzinfo=PARIS)


def unsubscribe_token(subscription_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscription_id))


def unsubscribe_url(subscription_id: int) -> str:
    return public_url(
        reverse("notifications:alert_unsubscribe", args=[unsubscribe_token(subscription_id)])
    )


def subscription_from_token(token: str) -> AlertSubscription | None:
    try:
        pk = int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return AlertSubscription.objects.filter(pk=pk).select_related("procedure").first()


def alerts_offered(procedure) -> bool:
    """Whether new-slot alerts are offered for ``procedure``: an active one that
    applicants book themselves. The others (``self_booking`` off) are booked by
    a mediator or an agent; an alert's link to book would answer 404."""
    return procedure.is_active and procedure.self_booking and is_first_come(procedure)


def is_first_come(procedure) -> bool:
    """Whether freed or new capacity of ``procedure`` goes to whoever books first
    (then alerts make sense). Every procedure is, until the waiting list exists."""
    return True


def alerts_fan_out(
    *,
    procedure_id: int,
    site_id: int,
    event_key: str,
    now: datetime | None = None,
    batch_size: int = 1000,
    rng: random.Random | None = None,
) -> int:
    """Owe one new-slot alert per channel to every active subscriber of the
    procedure at the site, for the event ``event_key`` (a publication, a freed
    seat). Returns how many messages were created.

    Subscribers are served in random order (so nobody is always first), in
    batches of ``batch_size`` (one INSERT and one publish round each). No SMS
    during the quiet hours: those wait for the morning in ``next_attempt_at``.
    Idempotent: each message's key is the event, the subscription and the
    channel, so running the fan-out again creates nothing twice.
    """
    from booking.models import Procedure, Site

    now = now or timezone.now()
    procedure = Procedure.objects.get(pk=procedure_id)
    if not alerts_offered(procedure):
        return 0  # subscriptions made before the procedure stopped being self-booked
    site = Site.objects.get(pk=site_id)
    subscriptions = list(
        AlertSubscription.objects.filter(
            procedure_id=procedure_id, is_active=True, sites__id=site_id
        ).values_list(
            "pk",
            "channels",
            "applicant_id",
            "applicant__preferred_language",
            "applicant__user_id",
            "applicant__user__phone",
            "applicant__user__phone_verified_at",
            "applicant__user__email",
            "applicant__user__email_verified_at",
            "applicant__phone",
            "applicant__email",
        )
    )
    (rng or random.SystemRandom()).shuffle(subscriptions)
    recipients = []
    for row in subscriptions:
        contacts = dict(
            contacts_of(
                has_account=row[4] is not None,
                account_phone=row[5] or "",
                phone_confirmed=row[6] is not None,
                account_email=row[7] or "",
                email_confirmed=row[8] is not None,
                walk_in_phone=row[9],
                walk_in_email=row[10],
            )
        )
        phone, email_address = contacts.get(MessageChannel.SMS), contacts.get(MessageChannel.EMAIL)
        recipients.append((row[0], row[1], row[2], phone, email_address, row[3]))
    opted_out = set(
        SmsOptOut.objects.filter(phone__in={row[3] for row in recipients if row[3]}).values_list(
            "phone", flat=True
        )
    )
    sms_at = _not_quiet(now)
    # Rendered once per language and channel; only the unsubscribe link differs.
    context = {
        "procedure": procedure,
        "site": site,
        "book_url": public_url(reverse("booking:sites", args=[procedure.slug])),
        "unsubscribe_url": _UNSUBSCRIBE_PLACEHOLDER,
    }
    cache: dict[tuple[str, str], object] = {}

    def rendered(channel: str, language: str):
        if (channel, language) not in cache:
            cache[channel, language] = render(
                key=NEW_SLOTS, channel=channel, language=language, context=context
            )
        return cache[channel, language]

    created = 0
    for chunk in batched(recipients, batch_size):
        messages = []
        for pk, channels, applicant_id, phone, email_address, language in chunk:
            link = unsubscribe_url(pk)
            wanted = []
            wants_sms = channels in (AlertChannels.SMS, AlertChannels.BOTH)
            if wants_sms and phone and phone not in opted_out:
                wanted.append((MessageChannel.SMS, phone, sms_at))
            if channels in (AlertChannels.EMAIL, AlertChannels.BOTH) and email_address:
                wanted.append((MessageChannel.EMAIL, email_address, now))
            for channel, destination, due in wanted:
                r = rendered(channel, language)
                messages.append(
                    Message(
                        applicant_id=applicant_id,
                        channel=channel,
                        template_key=NEW_SLOTS,
                        language=language,
                        destination=destination,
                        subject=r.subject[:200],
                        text=r.text.replace(_UNSUBSCRIBE_PLACEHOLDER, link),
                        html=r.html.replace(_UNSUBSCRIBE_PLACEHOLDER, link),
                        essential=False,
                        idempotency_key=f"{NEW_SLOTS}:{event_key}:sub{pk}:{channel}",
                        next_attempt_at=due,
                        created_at=now,
                        updated_at=now,
                    )
                )
        created += _insert_and_enqueue(messages, now=now)
    return created


def _insert_and_enqueue(messages: list[Message], *, now: datetime) -> int:
    """Insert the messages whose key is new (one query to check, one INSERT) and
    hand those due now to the broker after commit, in the list's order."""
    if not messages:
        return 0
    keys = [m.idempotency_key for m in messages]
    with transaction.atomic():
        existing = set(
            Message.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        fresh = [m for m in messages if m.idempotency_key not in existing]
        # ignore_conflicts: a concurrent run that inserted the same keys meanwhile wins.
        Message.objects.bulk_create(fresh, ignore_conflicts=True)
        ids_by_key = dict(
            Message.objects.filter(
                idempotency_key__in=[m.idempotency_key for m in fresh],
                status=MessageStatus.PENDING,
                next_attempt_at__lte=now,
                created_at=now,
            ).values_list("idempotency_key", "pk")
        )
        enqueue_on_commit(
            [ids_by_key[m.idempotency_key] for m in fresh if m.idempotency_key in ids_by_key]
        )
    return len(fresh)


def publication_announce(*, publication: Publication, now: datetime | None = None) -> int:
    """Fan out the alerts of a publication that has become visible, once.

    The announcement row is written after the fan-out: a run that dies midway
    is redone by the next one, which the message keys make harmless.
    """
    now = now or timezone.now()
    created = 0
    public_seats = Slot.objects.filter(
        publication=publication, pool=Pool.PUBLIC, starts_at__gt=now
    ).exists()
    if public_seats and alerts_offered(publication.procedure):
        created = alerts_fan_out(
            procedure_id=publication.procedure_id,
            site_id=publication.site_id,
            event_key=f"pub{publication.pk}",
            now=now,
        )
    PublicationAnnouncement.objects.get_or_create(
        publication=publication, defaults={"announced_at": now, "messages_created": created}
    )
    return created


def publications_announce_due(*, now: datetime | None = None) -> int:
    """Announce every publication that became visible and was not announced yet,
    however long ago (the announcer stopped for days: it is made once, late,
    if its seats are still ahead). Returns how many messages were created."""
    now = now or timezone.now()
    due = (
        Publication.objects.filter(visible_at__lte=now, announcement__isnull=True)
        .select_related("procedure")
        .order_by("visible_at", "pk")
    )
    return sum(publication_announce(publication=pub, now=now) for pub in due)


def freed_seat_alert_announce(
    *, procedure_id: int, site_id: int, window: int, now: datetime | None = None
) -> int:
    """Fan out the freed-seat alert owed for (procedure, site, window), once.
    Returns how many messages were created.

    Nothing is sent when the freed seat has started meanwhile. The row is
    marked announced after the fan-out: a run that dies midway is redone by
    the sweep, which the message keys make harmless.
    """
    now = now or timezone.now()
    alert = (
        FreedSeatAlert.objects.filter(
            procedure_id=procedure_id, site_id=site_id, window=window, announced_at__isnull=True
        )
        .select_related("slot", "procedure")
        .first()
    )
    if alert is None:
        return 0  # announced already, or never owed
    created = 0
    if alert.slot is not None and alert.slot.starts_at > now and alerts_offered(alert.procedure):
        created = alerts_fan_out(
            procedure_id=procedure_id, site_id=site_id, event_key=alert.event_key, now=now
        )
    FreedSeatAlert.objects.filter(pk=alert.pk, announced_at__isnull=True).update(
        announced_at=now, messages_created=created
    )
    return created


def freed_seats_sweep(*, now: datetime | None = None, limit: int = 100) -> int:
    """Hand over again the freed-seat alerts whose task was lost (the broker was
    down at commit, a worker died mid-fan-out): owed for longer than
    ``NOTIFICATIONS_PENDING_GRACE`` and not handed over by a sweep in the last
    ``NOTIFICATIONS_SENDING_TIMEOUT`` (longer than a task may run). Called by
    the sweep, which runs only when the broker is up; publishes one task each
    rather than fanning out here, within the sweep's time limit. Returns how
    many were handed over."""
    now = now or timezone.now()
    due = now - timedelta(seconds=settings.NOTIFICATIONS_PENDING_GRACE)
    again = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
    with transaction.atomic():
        owed = list(
            FreedSeatAlert.objects.select_for_update(skip_locked=True)
            .filter(announced_at__isnull=True, created_at__lte=due)
            .filter(Q(swept_at__isnull=True) | Q(swept_at__lte=again))
            .order_by("pk")
            .values_list("pk", "procedure_id", "site_id", "window")[:limit]
        )
        FreedSeatAlert.objects.filter(pk__in=[row[0] for row in owed]).update(swept_at=now)
    for _pk, procedure_id, site_id, window in owed:
        _publish_freed_seat(procedure_id, site_id, window)
    if owed:
        logger.info("Sweep: handed over %d freed-seat alert(s) again.", len(owed))
    return len(owed)


def freed_seat_announce(*, slot_id: int, appointment_id: int, now: datetime | None = None) -> int:
    """Owe and announce at once the freed-seat alert of ``slot_id`` (the task of
    this name published before freed-seat alerts were owed in the transaction)."""
    now = now or timezone.now()
    slot = Slot.objects.select_related("procedure").get(pk=slot_id)
    key = _freed_seat_record(slot=slot, procedure=slot.procedure, now=now)
    if key is None:
        return 0
    procedure_id, site_id, window = key
    return freed_seat_alert_announce(
        procedure_id=procedure_id, site_id=site_id, window=window, now=now
    )


# --- Subscriptions -----------------------------------------------------------------------


def alert_subscribe(
    *, applicant: Applicant, procedure, site_ids: Sequence[int], channels: str
) -> AlertSubscription:
    """Subscribe (or change the subscription of) ``applicant`` to new-slot alerts."""
    from notifications.errors import AlertChannelUnavailable, AlertNeedsSite, AlertsNotOffered

    if not alerts_offered(procedure):
        raise AlertsNotOffered()
    if not site_ids:
        raise AlertNeedsSite()
    if channels not in AlertChannels.values:
        raise AlertChannelUnavailable()
    contacts = dict(applicant_contacts(applicant))
    if channels in (AlertChannels.SMS, AlertChannels.BOTH) and MessageChannel.SMS not in contacts:
        raise AlertChannelUnavailable()
    if (
        channels in (AlertChannels.EMAIL, AlertChannels.BOTH)
        and MessageChannel.EMAIL not in contacts
    ):
        raise AlertChannelUnavailable()
    with transaction.atomic():
        subscription, _created = AlertSubscription.objects.update_or_create(
            applicant=applicant,
            procedure=procedure,
            defaults={"channels": channels, "is_active": True, "unsubscribed_at": None},
        )
        subscription.sites.set(site_ids)
    return subscription


def alert_unsubscribe(*, subscription: AlertSubscription) -> None:
    now = timezone.now()
    AlertSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, unsubscribed_at=now
    )
    Message.objects.filter(
        template_key=NEW_SLOTS,
        applicant_id=subscription.applicant_id,
        status=MessageStatus.PENDING,
        idempotency_key__contains=f":sub{subscription.pk}:",
    ).update(status=MessageStatus.FAILED, last_error="unsubscribed", updated_at=now)
