"""The transparency figures' queries: one each, grouped by procedure and site,
over the weeks measured (``weeks_measured``). What each counts is said in
``allocation.transparency``'s docstring."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from allocation.models import ENTRY_IN_FORCE, Offer, OfferStatus, WaitlistEntry
from audit.models import AuditAction, AuditEvent
from booking.capacity import visibility
from booking.models import (
    Appointment,
    AppointmentStatus,
    Procedure,
    Publication,
    Site,
    Slot,
)

# How far back a search that found nothing still counts as the start of a wait
# (days): the dashboard's measure (``backoffice.dashboard.scope``), read the same way.
WAIT_LOOKBACK_DAYS = 180
# The audit details key of an appointment cancelled because its account was
# suspended for abuse (the abuse report's suspension, ``backoffice.abuse``).
SUSPENSION_KEY = "suspension"
# The appointment statuses that mean the counter let the person in after all (a
# supervisor's override, the right document shown later): no abuse then.
_ADMITTED = (AppointmentStatus.CHECKED_IN, AppointmentStatus.DONE)

Pair = tuple[int, int]  # (procedure id, site id)


# --- The window -------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def weeks_measured(now: datetime) -> list[date]:
    """The Mondays of the last ``TRANSPARENCY_WEEKS`` complete weeks before ``now``'s."""
    this_monday = timezone.localdate(now) - timedelta(days=timezone.localdate(now).weekday())
    count = settings.TRANSPARENCY_WEEKS
    return [this_monday - timedelta(weeks=count - n) for n in range(count)]


# --- The queries (one each, grouped by procedure and site) -----------------------------


def _table(model) -> str:
    return model._meta.db_table


def _rows(sql: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# A publication still to come as it may be shown: a chosen moment not passed, or a
# random window not ended (never the drawn moment, which stays secret).
_PENDING = f"""
    SELECT pub.procedure_id, pub.site_id, pub.visible_at, pub.parameters
    FROM {_table(Publication)} pub
    WHERE pub.seats_created > 0
      AND CASE WHEN jsonb_typeof(pub.parameters -> 'visible_window') = 'array'
               THEN (pub.parameters -> 'visible_window' ->> 1)::timestamptz > %(now)s
               ELSE pub.visible_at > %(now)s END
"""  # noqa: S608 (table names and fixed clauses; values are parameters)


def pairs_shown(since: datetime, now: datetime) -> list[tuple]:
    """The active procedures and sites shown, by procedure name then site name."""
    sql = f"""
        SELECT p.id, p.slug, p.name, s.id, s.slug, s.name
        FROM {_table(Procedure)} p CROSS JOIN {_table(Site)} s
        WHERE p.is_active AND s.is_active AND (
            EXISTS (SELECT 1 FROM {_table(Slot)} sl
                    WHERE sl.site_id = s.id AND sl.procedure_id = p.id
                      AND sl.starts_at >= %(since)s)
            OR EXISTS (SELECT 1 FROM {_table(WaitlistEntry)} e
                       WHERE e.procedure_id = p.id AND e.status = ANY(%(in_force)s)
                         AND s.id = ANY(e.site_ids))
            OR EXISTS (SELECT 1 FROM ({_PENDING}) pending
                       WHERE pending.procedure_id = p.id AND pending.site_id = s.id)
        )
        ORDER BY p.name, p.id, s.name, s.id
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    return _rows(sql, {"since": since, "now": now, "in_force": list(ENTRY_IN_FORCE)})


def waiting_by_pair() -> dict[Pair, int]:
    """Entries in force per procedure and site they list."""
    sql = f"""
        SELECT e.procedure_id, site_id, COUNT(*)
        FROM {_table(WaitlistEntry)} e CROSS JOIN LATERAL unnest(e.site_ids) AS site_id
        WHERE e.status = ANY(%(in_force)s)
        GROUP BY e.procedure_id, site_id
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    return {
        (procedure_id, site_id): count
        for procedure_id, site_id, count in _rows(sql, {"in_force": list(ENTRY_IN_FORCE)})
    }


def seats_by_week(weeks: list[date]) -> dict[tuple[int, int, date], int]:
    """Appointments made during each week of ``weeks`` (not cancelled since), per
    procedure, site of their time and week."""
    # A time booked during the weeks starts after its booking: the slots from the
    # first Monday on (an index range) lead to their appointments.
    sql = f"""
        SELECT a.procedure_id, sl.site_id,
               date_trunc('week', a.created_at AT TIME ZONE %(tz)s)::date AS week, COUNT(*)
        FROM {_table(Slot)} sl
        JOIN {_table(Appointment)} a ON a.slot_id = sl.id
        WHERE sl.starts_at >= %(start)s
          AND a.created_at >= %(start)s AND a.created_at < %(end)s
          AND a.status <> %(cancelled)s
        GROUP BY a.procedure_id, sl.site_id, week
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        "tz": timezone.get_current_timezone_name(),
        "start": local_midnight(weeks[0]),
        "end": local_midnight(weeks[-1] + timedelta(days=7)),
        "cancelled": AppointmentStatus.CANCELLED,
    }
    return {(p, s, week): count for p, s, week, count in _rows(sql, params)}


def median_wait_from_list(since: datetime) -> dict[Pair, float]:
    """Median days from joining the list to accepting the offer, for the offers
    accepted since ``since``, per procedure and site of the seat."""
    sql = f"""
        SELECT o.procedure_id, sl.site_id,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY EXTRACT(EPOCH FROM o.answered_at - e.joined_at) / 86400.0)
        FROM {_table(Offer)} o
        JOIN {_table(WaitlistEntry)} e ON e.id = o.entry_id
        JOIN {_table(Slot)} sl ON sl.id = o.slot_id
        WHERE o.status = %(accepted)s AND o.answered_at >= %(since)s
        GROUP BY o.procedure_id, sl.site_id
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    return {
        (p, s): float(days)
        for p, s, days in _rows(sql, {"accepted": OfferStatus.ACCEPTED, "since": since})
    }


def median_wait_from_searches(since: datetime) -> dict[Pair, float]:
    """Median days from a person's first search that found nothing (for the
    procedure, within ``WAIT_LOOKBACK_DAYS`` before) to the booking, over the
    appointments made since ``since`` and not cancelled that had such a search,
    per procedure and site. The record of attempts' table is read by name: that
    app sits above this one."""
    failed = apps.get_model("attempts", "FailedSearch")._meta.db_table
    sql = f"""
        WITH waited AS (
            SELECT a.procedure_id, sl.site_id,
                   EXTRACT(EPOCH FROM a.created_at - MIN(f.first_at)) / 86400.0 AS days
            FROM {_table(Slot)} sl
            JOIN {_table(Appointment)} a ON a.slot_id = sl.id
            JOIN {failed} f
              ON f.applicant_id = a.applicant_id AND f.procedure_id = a.procedure_id
             AND f.first_at <= a.created_at AND f.first_at > a.created_at - %(lookback)s
            WHERE sl.starts_at >= %(since)s AND a.created_at >= %(since)s
              AND a.status <> %(cancelled)s
            GROUP BY a.id, a.procedure_id, sl.site_id
        )
        SELECT procedure_id, site_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY days)
        FROM waited
        GROUP BY procedure_id, site_id
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        "since": since,
        "lookback": timedelta(days=WAIT_LOOKBACK_DAYS),
        "cancelled": AppointmentStatus.CANCELLED,
    }
    return {(p, s): float(days) for p, s, days in _rows(sql, params)}


def shown_day(visible_at: datetime, parameters: dict | None, *, now: datetime) -> date | None:
    """The day a publication to come may be shown as: its moment's day, or for a
    random window the window's first day (today once the window has begun);
    ``None`` once it has passed (a window: once the window has ended)."""
    raw = (parameters or {}).get("visible_window")
    if raw and len(raw) == 2:
        start, end = parse_datetime(raw[0]), parse_datetime(raw[1])
        if start is not None and end is not None:
            if end <= now:
                return None
            return max(timezone.localdate(start), timezone.localdate(now))
    seen = visibility(visible_at, parameters, now=now)
    if seen.visible or seen.at is None:
        return None
    return timezone.localdate(seen.at)


def next_publications(now: datetime) -> dict[Pair, date]:
    """The earliest day shown of a publication to come, per procedure and site."""
    days: dict[Pair, date] = {}
    for procedure_id, site_id, visible_at, parameters in _rows(_PENDING, {"now": now}):
        if isinstance(parameters, str):  # a raw cursor leaves jsonb as text
            parameters = json.loads(parameters)
        day = shown_day(visible_at, parameters, now=now)
        if day is not None and (
            (procedure_id, site_id) not in days or day < days[(procedure_id, site_id)]
        ):
            days[(procedure_id, site_id)] = day
    return days


def refused_as_abuse_by_pair(
    procedure_id: int | None = None, site_id: int | None = None, since: datetime | None = None
) -> dict[Pair, int]:
    """Appointments refused as abuse since ``since`` (all time: ``None``), per
    procedure and site of their time (one query; ``procedure_id``/``site_id``
    narrow it):

    - the counter refused the check-in because the identity document did not
      match the booking (``appointment.check_in_refused``), and the person was
      never let in after all (no override, not the right document later);
    - cancelled because the account that booked was suspended for abuse (an
      ``appointment.cancelled`` audit row whose details carry ``suspension``).

    Each appointment counts once. The back office's own count
    (``backoffice.abuse.selectors``) sits above this app; this is the public
    page's, from the same audit trail.
    """
    sql = f"""
        SELECT a.procedure_id, sl.site_id, COUNT(DISTINCT a.id)
        FROM {_table(AuditEvent)} ev
        JOIN {_table(Appointment)} a ON a.id = ev.appointment_id
        JOIN {_table(Slot)} sl ON sl.id = a.slot_id
        WHERE ev.action = ANY(%(actions)s)
          AND (%(since)s::timestamptz IS NULL OR ev.occurred_at >= %(since)s)
          AND (%(procedure)s::integer IS NULL OR a.procedure_id = %(procedure)s)
          AND (%(site)s::integer IS NULL OR sl.site_id = %(site)s)
          AND (
              (ev.action = %(refused)s AND NOT a.status = ANY(%(admitted)s))
              OR (ev.action = %(cancelled)s AND ev.details ? %(suspension)s)
          )
        GROUP BY a.procedure_id, sl.site_id
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        "actions": [AuditAction.APPOINTMENT_CHECK_IN_REFUSED, AuditAction.APPOINTMENT_CANCELLED],
        "refused": AuditAction.APPOINTMENT_CHECK_IN_REFUSED,
        "cancelled": AuditAction.APPOINTMENT_CANCELLED,
        "admitted": list(_ADMITTED),
        "suspension": SUSPENSION_KEY,
        "since": since,
        "procedure": procedure_id,
        "site": site_id,
    }
    return {(p, s): count for p, s, count in _rows(sql, params)}
