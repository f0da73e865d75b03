"""The past weeks' figures, kept (``backoffice.DashboardWeek``).

A week that is over changes little (the counter closes its last hour, a late
message is sent): its detail per site and procedure is computed once by the
same queries the dashboard runs live (``sources.week_detail``), kept, and
recomputed for the last ``REFRESH_WEEKS`` weeks every hour (the beat task
``backoffice.dashboard_refresh``). The dashboard reads a past week from here
once the week is marked computed (``DashboardWeekComputed``), and computes any
other week live: a fresh install shows the right figures, only slower, until
the hourly task (which fills the missing weeks of the last ``WEEKS_MAX``) or
``manage.py dashboard_rebuild`` has run.

A derived copy, not a record: the writes are not audited, and rebuilding it
from the raw rows gives it back whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from backoffice.models import DashboardWeek, DashboardWeekComputed
from booking.models import Procedure, Site, Slot

from .scope import WEEKS_MAX, Scope, monday
from .sources import ADDITIVE, Detail, week_detail

# The weeks over recomputed each hour: what the counter closes late, the
# messages sent after the week (a no-show's), searches purged meanwhile stay.
REFRESH_WEEKS = 4
# Weeks computed per pair of queries when rebuilding (bounds the memory).
_CHUNK_WEEKS = 4


def stored_detail(scope: Scope, weeks: Sequence[date]) -> tuple[set[date], Detail]:
    """Of ``weeks`` (past ones), those computed and kept, and their detail for
    ``scope``'s sites and procedures: one query (none without weeks)."""
    if not weeks:
        return set(), {}
    columns = ", ".join(f"w.{name}" for name in ADDITIVE)
    sql = f"""
        SELECT c.week, w.site_id, w.procedure_id, {columns}, w.waits
        FROM {DashboardWeekComputed._meta.db_table} c
        LEFT JOIN {DashboardWeek._meta.db_table} w
          ON w.week = c.week AND w.site_id = ANY(%(sites)s)
         AND w.procedure_id = ANY(%(procedures)s)
        WHERE c.week = ANY(%(weeks)s::date[])
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    computed: set[date] = set()
    detail: Detail = {}
    params = {"sites": scope.site_ids, "procedures": scope.procedure_ids, "weeks": list(weeks)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for week, site_id, procedure_id, *values in cursor.fetchall():
            computed.add(week)
            if site_id is None:
                continue
            *counts, waits = values
            detail[(site_id, procedure_id, week)] = {
                **dict(zip(ADDITIVE, counts, strict=True)),
                "waits": list(waits),
            }
    return computed, detail


def _everything(weeks: Sequence[date], now: datetime) -> Scope:
    return Scope(
        sites=tuple(Site.objects.order_by("pk")),
        procedures=tuple(Procedure.objects.order_by("pk")),
        weeks=tuple(sorted(weeks)),
        now=now,
    )


def dashboard_weeks_refresh(weeks: Iterable[date], *, now: datetime | None = None) -> int:
    """Compute and keep the figures of ``weeks`` (Mondays of weeks that are over;
    any other is skipped) for every site and procedure, and mark them computed.
    Idempotent (upserts; a pair that no longer has figures loses its row).
    Returns the number of weeks computed."""
    now = now or timezone.now()
    this_week = monday(timezone.localdate(now))
    over = sorted({week for week in weeks if week < this_week})
    for start in range(0, len(over), _CHUNK_WEEKS):
        chunk = over[start : start + _CHUNK_WEEKS]
        detail = week_detail(_everything(chunk, now), chunk)
        rows = [
            DashboardWeek(
                site_id=site_id,
                procedure_id=procedure_id,
                week=week,
                waits=values["waits"],
                **{name: values[name] for name in ADDITIVE},
            )
            for (site_id, procedure_id, week), values in detail.items()
        ]
        with transaction.atomic():
            DashboardWeek.objects.bulk_create(
                rows,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["site", "procedure", "week"],
                update_fields=[*ADDITIVE, "waits"],
            )
            kept = {(row.site_id, row.procedure_id, row.week) for row in rows}
            stale = [
                pk
                for pk, site_id, procedure_id, week in DashboardWeek.objects.filter(
                    week__in=chunk
                ).values_list("pk", "site_id", "procedure_id", "week")
                if (site_id, procedure_id, week) not in kept
            ]
            DashboardWeek.objects.filter(pk__in=stale).delete()
            DashboardWeekComputed.objects.bulk_create(
                [DashboardWeekComputed(week=week, computed_at=now) for week in chunk],
                update_conflicts=True,
                unique_fields=["week"],
                update_fields=["computed_at"],
            )
    return len(over)


def dashboard_weeks_due(*, now: datetime | None = None) -> list[date]:
    """What the hourly task recomputes: the last ``REFRESH_WEEKS`` weeks over, and
    any week over of the last ``WEEKS_MAX`` (the most a dashboard shows) not
    computed yet."""
    now = now or timezone.now()
    this_week = monday(timezone.localdate(now))
    window = [this_week - timedelta(weeks=n) for n in range(1, WEEKS_MAX + 1)]
    computed = set(
        DashboardWeekComputed.objects.filter(week__in=window).values_list("week", flat=True)
    )
    return sorted({*window[:REFRESH_WEEKS], *(week for week in window if week not in computed)})


def dashboard_weeks_rebuild(*, now: datetime | None = None) -> int:
    """Recompute every week over since the first slot: returns the weeks computed."""
    now = now or timezone.now()
    first = Slot.objects.order_by("starts_at").values_list("starts_at", flat=True).first()
    if first is None:
        return 0
    week = monday(timezone.localdate(first))
    this_week = monday(timezone.localdate(now))
    weeks = []
    while week < this_week:
        weeks.append(week)
        week += timedelta(weeks=1)
    return dashboard_weeks_refresh(weeks, now=now)
