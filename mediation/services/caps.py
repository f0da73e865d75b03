"""The daily caps of mediator bookings, against a broker in a mediator's seat.

Each booking a mediator makes takes one unit of the day's counter of their
access point, then one of their own (always in that order: two bookings never
wait on each other's rows in a cycle), each with one conditional upsert::

    INSERT INTO counter (key, day, booked) SELECT key, day, 1 WHERE cap >= 1
    ON CONFLICT (key, day) DO UPDATE SET booked = counter.booked + 1
    WHERE counter.booked < cap RETURNING booked

PostgreSQL locks the row and re-evaluates the condition on its latest
version: concurrent bookings queue on the row and the last ones find the cap
reached. The caller is in the booking's transaction: a booking refused
afterwards rolls its units back. A cancellation gives nothing back (the cap
counts bookings made, not appointments standing). The cap is the setting plus
the day's ``CapRaise`` rows, summed in the same statement.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from audit.models import AuditAction
from audit.services import audit_record
from mediation import errors
from mediation.models import AccessPoint, CapRaise, MediatorDayCount, PointDayCount
from mediation.services.access_points import supervises


@cache
def _claim_sql(counter: type, key: str, raise_filter: str) -> str:
    quote = connection.ops.quote_name
    table = quote(counter._meta.db_table)
    key_column = quote(counter._meta.get_field(key).column)
    raises = quote(CapRaise._meta.db_table)
    cap = (
        f"(%(base)s + COALESCE((SELECT sum(extra) FROM {raises} r "  # noqa: S608
        f"WHERE {raise_filter} AND r.day = %(day)s), 0))"
    )
    return (
        f"INSERT INTO {table} AS c ({key_column}, day, booked) "
        f"SELECT %(key)s, %(day)s, 1 WHERE {cap} >= 1 "
        f"ON CONFLICT ({key_column}, day) DO UPDATE SET booked = c.booked + 1 "
        f"WHERE c.booked < {cap} RETURNING booked"
    )


def _claim(counter: type, key: str, raise_filter: str, *, key_id: int, day: date, base: int):
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(counter, key, raise_filter), {"key": key_id, "day": day, "base": base}
        )
        return cursor.fetchone()


def daily_caps_claim(*, mediator: User, access_point_id: int, day: date | None = None) -> None:
    """Take one booking of ``day``'s caps (default: today) of the point and of
    the mediator, or raise ``DailyCapReached`` (then the caller's transaction
    must roll back what was taken: the booking's does). Caller is in a
    transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("daily_caps_claim must run inside the booking's transaction")
    day = day or timezone.localdate()
    point = _claim(
        PointDayCount,
        "access_point",
        "r.access_point_id = %(key)s AND r.mediator_id IS NULL",
        key_id=access_point_id,
        day=day,
        base=settings.MEDIATION_DAILY_CAP_PER_POINT,
    )
    if point is None:
        raise errors.DailyCapReached()
    own = _claim(
        MediatorDayCount,
        "mediator",
        "r.mediator_id = %(key)s",
        key_id=mediator.pk,
        day=day,
        base=settings.MEDIATION_DAILY_CAP_PER_MEDIATOR,
    )
    if own is None:
        raise errors.DailyCapReached()


def cap_raise(
    *,
    actor: User,
    access_point: AccessPoint,
    mediator: User | None = None,
    day: date,
    extra: int,
    reason: str,
) -> CapRaise:
    """Raise for ``day`` only (today or later) the cap of ``access_point``, or
    of one of its mediators, by ``extra`` bookings, with a reason. Supervisors
    only (``CapRaiseNotAllowed``); ``InvalidCapRaise`` for a past day, a
    number out of range, no reason, or a mediator not of the point. Audited
    ``mediation.cap_raised`` with the point."""
    if not supervises(actor):
        raise errors.CapRaiseNotAllowed()
    if not isinstance(day, date) or day < timezone.localdate():
        raise errors.InvalidCapRaise(_("Choose today or a day to come."))
    if (
        not isinstance(extra, int)
        or isinstance(extra, bool)
        or not 1 <= extra <= settings.MEDIATION_CAP_RAISE_MAX
    ):
        raise errors.InvalidCapRaise(
            _("Enter a number of bookings between 1 and %(max)s."),
            max=settings.MEDIATION_CAP_RAISE_MAX,
        )
    reason = (reason or "").strip()
    if not reason:
        raise errors.InvalidCapRaise(_("Give the reason of the raise."))
    if mediator is not None and (
        mediator.role != Role.MEDIATOR or mediator.access_point_id != access_point.pk
    ):
        raise errors.InvalidCapRaise(_("This mediator does not belong to this access point."))
    raised = CapRaise(
        day=day,
        access_point=access_point,
        mediator=mediator,
        extra=extra,
        reason=reason,
        raised_by=actor,
        raised_at=timezone.now(),
    )
    with transaction.atomic():
        raised.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.CAP_RAISED,
            subject_user=mediator,
            details={
                "access_point": access_point.pk,
                "cap_raise": raised.pk,
                "mediator": mediator.pk if mediator is not None else None,
                "day": day.isoformat(),
                "extra": extra,
                "reason": reason,
            },
        )
    return raised
