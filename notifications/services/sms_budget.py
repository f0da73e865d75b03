"""The daily SMS budget (``SMS_DAILY_BUDGET``), counted in the database."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from notifications.models import SmsDailyCount
from notifications.services.common import PARIS, sms_due_at

logger = logging.getLogger(__name__)


_SMS_BUDGET_TAKE = (
    "INSERT INTO notifications_smsdailycount (day, sent) VALUES (%s, 1) "
    "ON CONFLICT (day) DO UPDATE SET sent = notifications_smsdailycount.sent + 1 "
    "WHERE notifications_smsdailycount.sent < %s RETURNING sent"
)


def sms_budget_give_back(*, now: datetime) -> None:
    """Uncount the SMS ``sms_budget_take`` counted for ``now``'s day: it was not sent."""
    SmsDailyCount.objects.filter(day=now.astimezone(PARIS).date(), sent__gt=0).update(
        sent=F("sent") - 1
    )


def sms_budget_take(*, now: datetime) -> bool:
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


def sms_budget_next_day(*, now: datetime) -> datetime:
    """When an SMS held by the budget may go: the next day's budget opens at
    midnight, Paris time, but nobody is woken: at the end of the quiet hours."""
    start = datetime.combine(now.astimezone(PARIS).date() + timedelta(days=1), time(0), PARIS)
    return sms_due_at(now=start)
