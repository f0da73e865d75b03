"""The dashboard's queries over the raw rows (slots, appointments, messages,
searches, alerts, substitution requests, court orders).

Two kinds:

- *weekly detail* (``week_detail``): per site, procedure and week, the counts
  that add up (``ADDITIVE``) and each wait measured (``waits``, the days, sorted)
  so that a median over any grouping is exact. Two queries whatever the weeks.
  The past weeks' detail is kept in ``backoffice.DashboardWeek``
  (``backoffice.dashboard.store``); only the weeks not kept are asked here;
- *grouped* sources (``(scope) -> SourceRows``, one query each, ``GROUPING
  SETS``): the figures that do not add up across rows (``alerts``: a person
  subscribed to two sites counts once in the totals) and today's figures
  (``CURRENT_SOURCES`` in ``backoffice.dashboard.build``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from allocation.models import ENTRY_IN_FORCE, WaitlistEntry
from booking.injunctions import at_risk_until
from booking.models import (
    Appointment,
    AppointmentStatus,
    Closure,
    Injunction,
    PriorityRight,
    Slot,
)
from notifications.models import AlertSubscription, Message, MessageChannel, MessageStatus
from substitution.models import OPEN_STATES, SubstitutionRequest

from .scope import ALL, DETAIL, PAIR, WAIT_LOOKBACK_DAYS, WEEK, Scope, SourceRows, local_midnight

# GROUPING(site, procedure, week) -> level (a rolled-up column is a 1 bit).
_LEVELS = {0b000: DETAIL, 0b110: WEEK, 0b001: PAIR, 0b111: ALL}
_GROUPING_SETS = (
    "GROUPING SETS ((site_id, procedure_id, week), (week), (site_id, procedure_id), ())"
)
_GROUPED_SELECT = "GROUPING(site_id, procedure_id, week), site_id, procedure_id, week"
_WEEK_OF = "date_trunc('week', {column} AT TIME ZONE %(tz)s)::date"

# The counts of a (site, procedure, week) that add up over any grouping, in the
# order of the detail query's columns (and of ``DashboardWeek``'s fields).
ADDITIVE = (
    "capacity",
    "booked",
    "unused",
    "closed_seats",
    "past_appointments",
    "no_shows",
    "cancelled_by_person",
    "cancelled_by_staff",
    "cancelled_by_closure",
    "sms_sent",
    "emails_sent",
)

# (site id, procedure id, week) -> {count: value, ..., "waits": [days, ...]}
Detail = dict[tuple[int, int, date], dict[str, Any]]


def _table(model) -> str:
    return model._meta.db_table


def _failed_searches_table() -> str:
    # ``attempts`` sits beside the back office (layers in pyproject.toml): its table
    # is read by name through the app registry, its code is not imported.
    return apps.get_model("attempts", "FailedSearch")._meta.db_table


def _grouped(sql: str, params: dict[str, Any], names: Sequence[str]) -> SourceRows:
    """Run ``sql``, whose rows are ``grouping, site_id, procedure_id, week, *names``
    (grouped by ``_GROUPING_SETS``), into ``SourceRows``."""
    rows: SourceRows = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for grouping, site_id, procedure_id, week, *values in cursor.fetchall():
            level = _LEVELS[grouping]
            rows[(level, site_id, procedure_id, week)] = dict(zip(names, values, strict=True))
    return rows


# --- Weekly detail: per site, procedure and week --------------------------------------


def _detail_params(scope: Scope, weeks: Sequence[date]) -> dict[str, Any]:
    weeks = sorted(weeks)
    return {
        **scope.params(),
        # Contiguous weeks (the usual case) need no filter by week: the planner
        # estimates a range of ``starts_at`` well, not the week of each slot.
        "weeks": None if (weeks[-1] - weeks[0]).days == 7 * (len(weeks) - 1) else weeks,
        "start": local_midnight(weeks[0]),
        "end": local_midnight(weeks[-1] + timedelta(days=7)),
    }


_SLOTS_OF_WEEKS = f"""
    SELECT s.id, s.site_id, s.procedure_id, s.capacity, s.booked, s.starts_at,
           s.closure_id, s.capacity_before_closure,
           {_WEEK_OF.format(column="s.starts_at")} AS week
    FROM {_table(Slot)} s
    WHERE s.site_id = ANY(%(sites)s) AND s.procedure_id = ANY(%(procedures)s)
      AND s.starts_at >= %(start)s AND s.starts_at < %(end)s
"""  # noqa: S608 (table names and fixed clauses; values are parameters)

# An appointment cancelled by a closure (``booking.services.closures``): cancelled
# by staff, after the closure gave the person a priority right for this
# procedure, on a slot of the closure's site within its hours (the slot itself
# loses its link to the closure when the closure is lifted; the right stays).
_BY_CLOSURE = f"""
    EXISTS (
        SELECT 1 FROM {_table(PriorityRight)} pr
        JOIN {_table(Closure)} c ON c.id = pr.closure_id
        WHERE pr.applicant_id = a.applicant_id AND pr.procedure_id = a.procedure_id
          AND c.site_id = s.site_id AND s.starts_at >= c.starts_at AND s.starts_at < c.ends_at
          AND a.cancelled_at >= pr.granted_at
    )
"""  # noqa: S608 (table names and fixed clauses; values are parameters)


def _counts(scope: Scope, weeks: Sequence[date]) -> Detail:
    """Seats (published, booked, unused on past days, closed), appointments
    (past ones held, no-shows, cancellations by the person, by staff, by a
    closure), messages sent: one query."""
    # LATERAL: each slot's appointments and messages by their indexes (a few per
    # slot), which a hash join over every appointment and message would not beat.
    sql = f"""
        WITH s AS ({_SLOTS_OF_WEEKS})
        SELECT s.site_id, s.procedure_id, s.week,
               SUM(s.capacity), SUM(s.booked),
               COALESCE(SUM(s.capacity - s.booked) FILTER (WHERE s.starts_at < %(today)s), 0),
               COALESCE(SUM(s.capacity_before_closure - s.capacity)
                        FILTER (WHERE s.closure_id IS NOT NULL), 0),
               COALESCE(SUM(a.held) FILTER (WHERE s.starts_at < %(today)s), 0),
               COALESCE(SUM(a.no_shows) FILTER (WHERE s.starts_at < %(today)s), 0),
               COALESCE(SUM(a.by_person), 0), COALESCE(SUM(a.by_staff), 0),
               COALESCE(SUM(a.by_closure), 0),
               COALESCE(SUM(a.sms), 0), COALESCE(SUM(a.emails), 0)
        FROM s
        CROSS JOIN LATERAL (
            SELECT COUNT(*) FILTER (WHERE status <> %(cancelled)s) AS held,
                   COUNT(*) FILTER (WHERE status = %(no_show)s) AS no_shows,
                   COUNT(*) FILTER (WHERE status = %(cancelled)s AND by_person) AS by_person,
                   COUNT(*) FILTER (WHERE status = %(cancelled)s AND NOT by_person
                                    AND NOT by_closure) AS by_staff,
                   COUNT(*) FILTER (WHERE status = %(cancelled)s AND NOT by_person
                                    AND by_closure) AS by_closure,
                   COALESCE(SUM(sms), 0) AS sms, COALESCE(SUM(emails), 0) AS emails
            FROM (
                SELECT a.status,
                       COALESCE(u.role = %(applicant)s, FALSE) AS by_person,
                       (a.status = %(cancelled)s AND {_BY_CLOSURE}) AS by_closure,
                       sent.sms, sent.emails
                FROM {_table(Appointment)} a
                LEFT JOIN {_table(User)} u ON u.id = a.cancelled_by_id
                CROSS JOIN LATERAL (
                    SELECT COUNT(*) FILTER (WHERE m.channel = %(sms)s) AS sms,
                           COUNT(*) FILTER (WHERE m.channel = %(email)s) AS emails
                    FROM {_table(Message)} m
                    WHERE m.appointment_id = a.id AND m.status = ANY(%(sent)s)
                ) sent
                WHERE a.slot_id = s.id
            ) rows
        ) a
        WHERE %(weeks)s::date[] IS NULL OR s.week = ANY(%(weeks)s)
        GROUP BY s.site_id, s.procedure_id, s.week
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        **_detail_params(scope, weeks),
        "cancelled": AppointmentStatus.CANCELLED,
        "no_show": AppointmentStatus.NO_SHOW,
        "applicant": Role.APPLICANT,
        "sms": MessageChannel.SMS,
        "email": MessageChannel.EMAIL,
        "sent": [MessageStatus.SENT, MessageStatus.DELIVERED],
    }
    detail: Detail = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for site_id, procedure_id, week, *values in cursor.fetchall():
            detail[(site_id, procedure_id, week)] = {
                **{key: int(value) for key, value in zip(ADDITIVE, values, strict=True)},
                "waits": [],
            }
    return detail


def _waits(scope: Scope, weeks: Sequence[date]) -> dict[tuple[int, int, date], list[float]]:
    """The days from a person's first search that found nothing (for the
    procedure, within ``WAIT_LOOKBACK_DAYS`` before) to the booking of their
    appointment, for the appointments not cancelled that had such a search;
    sorted, per site, procedure and week of the slot."""
    sql = f"""
        WITH s AS ({_SLOTS_OF_WEEKS}),
        waited AS (
            SELECT s.site_id, s.procedure_id, s.week,
                   (EXTRACT(EPOCH FROM a.created_at - MIN(f.first_at)) / 86400.0)::float8 AS days
            FROM {_table(Appointment)} a
            JOIN s ON s.id = a.slot_id
            JOIN {_failed_searches_table()} f
              ON f.applicant_id = a.applicant_id AND f.procedure_id = a.procedure_id
             AND f.first_at <= a.created_at
             AND f.first_at > a.created_at - %(lookback)s
            WHERE (%(weeks)s::date[] IS NULL OR s.week = ANY(%(weeks)s))
              AND a.status <> %(cancelled)s
            GROUP BY a.id, s.site_id, s.procedure_id, s.week
        )
        SELECT site_id, procedure_id, week, array_agg(days ORDER BY days)
        FROM waited
        GROUP BY site_id, procedure_id, week
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        **_detail_params(scope, weeks),
        "lookback": timedelta(days=WAIT_LOOKBACK_DAYS),
        "cancelled": AppointmentStatus.CANCELLED,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(s, p, w): [float(d) for d in days] for s, p, w, days in cursor.fetchall()}


def week_detail(scope: Scope, weeks: Sequence[date]) -> Detail:
    """Every additive count and the waits of ``weeks`` (of ``scope``'s sites and
    procedures), from the raw rows: two queries (none without weeks)."""
    if not weeks:
        return {}
    detail = _counts(scope, weeks)
    for key, days in _waits(scope, weeks).items():
        # A wait is an appointment's, whose slot the counts have seen.
        detail.setdefault(key, {name: 0 for name in ADDITIVE})["waits"] = days
    return detail


# --- Grouped sources ------------------------------------------------------------------


def alerts(scope: Scope) -> SourceRows:
    """Demand: the new-slot alerts in force at some moment of the week for the
    procedure and the site (a person counted once in the totals)."""
    sql = f"""
        SELECT {_GROUPED_SELECT}, COUNT(DISTINCT alert_id)
        FROM (
            SELECT ss.site_id, al.procedure_id, al.id AS alert_id, w.week
            FROM unnest(%(weeks)s::date[]) AS w(week)
            JOIN {_table(AlertSubscription)} al
              ON al.created_at < LEAST((w.week + 7)::timestamp AT TIME ZONE %(tz)s, %(now)s)
             AND ((al.is_active AND al.unsubscribed_at IS NULL)
                  OR al.unsubscribed_at >= w.week::timestamp AT TIME ZONE %(tz)s)
            JOIN {_table(AlertSubscription.sites.through)} ss ON ss.alertsubscription_id = al.id
            WHERE ss.site_id = ANY(%(sites)s) AND al.procedure_id = ANY(%(procedures)s)
        ) rows
        GROUP BY {_GROUPING_SETS}
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    return _grouped(sql, scope.params(), ("alerts",))


def substitution_open(scope: Scope) -> SourceRows:
    """Substitution requests open now (new or in progress), per site wished and
    procedure; those that wish no site (any agent may take them) have no site,
    and show only when no site is chosen."""
    wish_no_site = "" if scope.site_chosen else "OR site_id IS NULL"
    sql = f"""
        SELECT GROUPING(site_id, procedure_id) * 2 + 1, site_id, procedure_id, NULL::date,
               COUNT(*)
        FROM {_table(SubstitutionRequest)}
        WHERE state = ANY(%(open)s) AND procedure_id = ANY(%(procedures)s)
          AND (site_id = ANY(%(sites)s) {wish_no_site})
        GROUP BY GROUPING SETS ((site_id, procedure_id), ())
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    return _grouped(sql, {**scope.params(), "open": list(OPEN_STATES)}, ("substitution_open",))


def injunctions(scope: Scope) -> SourceRows:
    """Court-ordered convocations not served today (no appointment, or a
    cancelled one), as ``booking.injunctions`` reads their state: overdue once
    the deadline's day has passed, at risk when it is ``INJUNCTION_AT_RISK_DAYS``
    days away or fewer, open otherwise."""
    today = timezone.localdate(scope.now)
    sql = f"""
        SELECT GROUPING(i.site_id, i.procedure_id) * 2 + 1, i.site_id, i.procedure_id,
               NULL::date,
               COUNT(*) FILTER (WHERE i.deadline > %(at_risk_until)s),
               COUNT(*) FILTER (WHERE i.deadline >= %(day)s
                                AND i.deadline <= %(at_risk_until)s),
               COUNT(*) FILTER (WHERE i.deadline < %(day)s)
        FROM {_table(Injunction)} i
        LEFT JOIN {_table(Appointment)} a ON a.id = i.appointment_id
        WHERE i.site_id = ANY(%(sites)s) AND i.procedure_id = ANY(%(procedures)s)
          AND (a.id IS NULL OR a.status = %(cancelled)s)
        GROUP BY GROUPING SETS ((i.site_id, i.procedure_id), ())
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        **scope.params(),
        "day": today,
        "at_risk_until": at_risk_until(today),
        "cancelled": AppointmentStatus.CANCELLED,
    }
    return _grouped(sql, params, ("injunctions_open", "injunctions_at_risk", "injunctions_overdue"))


def waiting_list(scope: Scope) -> SourceRows:
    """People on the waiting list now (entries waiting or paused), per site and
    procedure. An entry lists every site the person can reach: it counts at each
    of them, and once in the totals (``COUNT(DISTINCT)``)."""
    sql = f"""
        SELECT GROUPING(site_id, procedure_id) * 2 + 1, site_id, procedure_id, NULL::date,
               COUNT(DISTINCT entry_id)
        FROM (
            SELECT unnest(e.site_ids) AS site_id, e.procedure_id, e.id AS entry_id
            FROM {_table(WaitlistEntry)} e
            WHERE e.status = ANY(%(in_force)s) AND e.procedure_id = ANY(%(procedures)s)
        ) rows
        WHERE site_id = ANY(%(sites)s)
        GROUP BY GROUPING SETS ((site_id, procedure_id), ())
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {**scope.params(), "in_force": [str(status) for status in ENTRY_IN_FORCE]}
    return _grouped(sql, params, ("waiting_list",))
