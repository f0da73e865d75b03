"""The weekly opening periods of an access point, replaced as a whole by a
supervisor or by the point's own mediators. A mediator's booking made outside
them is flagged (``mediation.selectors.is_outside_opening_hours``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from itertools import pairwise

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import managed_access_points
from audit.models import AuditAction
from audit.services import audit_record
from mediation.errors import AccessPointNotAllowed, InvalidOpeningPeriods
from mediation.models import AccessPoint, OpeningPeriod

# More than this many periods in one day is a mistake, not a timetable.
PERIODS_PER_DAY_AT_MOST = 4


def _checked(periods: Sequence[tuple[int, time, time]]) -> list[tuple[int, time, time]]:
    """The periods sorted by day and opening time, or ``InvalidOpeningPeriods``."""
    checked = []
    for period in periods:
        try:
            weekday, opens, closes = period
        except (TypeError, ValueError):
            raise InvalidOpeningPeriods() from None
        if (
            isinstance(weekday, bool)
            or not isinstance(weekday, int)
            or not 0 <= weekday <= 6
            or not isinstance(opens, time)
            or not isinstance(closes, time)
            or opens.tzinfo is not None
            or closes.tzinfo is not None
        ):
            raise InvalidOpeningPeriods()
        if opens >= closes:
            raise InvalidOpeningPeriods(_("Each period must close after it opens."))
        checked.append((weekday, opens, closes))
    checked.sort()
    for day in range(7):
        of_day = [(opens, closes) for weekday, opens, closes in checked if weekday == day]
        if len(of_day) > PERIODS_PER_DAY_AT_MOST:
            raise InvalidOpeningPeriods(
                _("At most %(count)s periods a day.") % {"count": PERIODS_PER_DAY_AT_MOST}
            )
        for (_opens, earlier_closes), (later_opens, _closes) in pairwise(of_day):
            if later_opens < earlier_closes:
                raise InvalidOpeningPeriods(_("Two periods of the same day overlap."))
    return checked


def _as_details(periods) -> list[list]:
    return [
        [weekday, opens.isoformat(timespec="minutes"), closes.isoformat(timespec="minutes")]
        for weekday, opens, closes in periods
    ]


def opening_periods_set(
    *,
    actor: User,
    access_point: AccessPoint,
    periods: Sequence[tuple[int, time, time]],
) -> list[OpeningPeriod]:
    """Replace the point's opening periods with ``periods`` (weekday 0 for
    Monday, opens, closes; local times) and return them as saved, by day and
    time. A supervisor may set any point's, a mediator their own point's.

    Raises ``AccessPointNotAllowed`` for anyone else and ``InvalidOpeningPeriods``
    for periods that cannot be recorded; either way nothing changes. Audited
    ``access_point.hours_changed`` with the periods before and after, unless
    they are the same."""
    checked = _checked(periods)
    with transaction.atomic():
        rows = AccessPoint.objects.select_for_update()
        if not actor.is_superuser:
            rows = rows.filter(managed_access_points(actor))
        locked = rows.filter(pk=access_point.pk).first()
        if locked is None or not actor.is_active:
            raise AccessPointNotAllowed()
        current = OpeningPeriod.objects.filter(access_point=locked).order_by("weekday", "opens")
        before = [(p.weekday, p.opens, p.closes) for p in current]
        if before == checked:
            return list(current)
        OpeningPeriod.objects.filter(access_point=locked).delete()
        saved = OpeningPeriod.objects.bulk_create(
            [
                OpeningPeriod(access_point=locked, weekday=weekday, opens=opens, closes=closes)
                for weekday, opens, closes in checked
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.ACCESS_POINT_HOURS_CHANGED,
            details={
                "access_point": locked.pk,
                "before": _as_details(before),
                "after": _as_details(checked),
            },
        )
    return saved
