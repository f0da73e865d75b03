"""The dashboard's figures: per site, procedure and week, set-based.

Every figure comes from one of a handful of aggregate queries (a *source*),
each grouped by ``GROUPING SETS`` over (site, procedure, week): one query gives
the detail rows, the week's totals, each site and procedure's totals over the
period and the grand total, so a total is never a sum of medians or of
distinct counts. The number of queries does not depend on the data: two to
resolve the scope (sites, procedures), one per source.

Adding a figure (the lead wires closures and court orders here at merge):
write a source (``(scope) -> SourceRows``, one query, ``_grouped`` helps) and
append it to ``WEEKLY_SOURCES`` (figures per week of the seats concerned) or
``CURRENT_SOURCES`` (figures of today, per site and procedure), then append its
``Figure`` columns to ``WEEKLY_FIGURES`` or ``CURRENT_FIGURES``. The page, its
charts' tables, the CSV downloads and the API list every figure of these lists.
What each figure means exactly: ``docs/backoffice/dashboard.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from booking.models import Appointment, AppointmentStatus, Procedure, Site, Slot
from booking.permissions import managed_sites
from notifications.models import AlertSubscription, Message, MessageChannel, MessageStatus
from substitution.models import OPEN_STATES, SubstitutionRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

WEEKS_DEFAULT = 8
WEEKS_MAX = 26
# How far back a search that found nothing still counts as the start of a wait
# for the appointment booked afterwards (a renewal a year later starts afresh).
WAIT_LOOKBACK_DAYS = 180


class Period:
    PAST = "past"
    COMING = "coming"
    BOTH = "both"
    CHOICES = (
        (BOTH, _("The past and the coming weeks")),
        (PAST, _("The past weeks")),
        (COMING, _("The coming weeks")),
    )
    VALUES = (BOTH, PAST, COMING)


class Kind:
    COUNT = "count"
    RATE = "rate"  # a fraction from 0 to 1, shown as a percentage
    DAYS = "days"


@dataclass(frozen=True)
class Figure:
    """One column of the dashboard: its key (API, CSV), its label, its kind."""

    key: str
    label: Promise
    kind: str = Kind.COUNT


# Level of a grouped row: which of (site, procedure, week) it is broken down by.
DETAIL = "detail"  # site, procedure and week
WEEK = "week"  # every site and procedure of the scope, one week
PAIR = "pair"  # one site and procedure, every week of the period
ALL = "all"  # the whole scope

# GROUPING(site, procedure, week) -> level (a rolled-up column is a 1 bit).
_LEVELS = {0b000: DETAIL, 0b110: WEEK, 0b001: PAIR, 0b111: ALL}
_GROUPING_SETS = (
    "GROUPING SETS ((site_id, procedure_id, week), (week), (site_id, procedure_id), ())"
)

# (level, site id, procedure id, week) -> {figure key: value}
Key = tuple[str, int | None, int | None, date | None]
SourceRows = dict[Key, dict[str, Any]]


@dataclass(frozen=True)
class Scope:
    """What a dashboard covers: the sites and procedures shown, the weeks (each
    a Monday, local), and the moments that split past from coming."""

    sites: tuple[Site, ...]
    procedures: tuple[Procedure, ...]
    weeks: tuple[date, ...]
    now: datetime
    # Whether the site filter is set: requests that wish no site show only without it.
    site_chosen: bool = False

    @property
    def site_ids(self) -> list[int]:
        return [site.pk for site in self.sites]

    @property
    def procedure_ids(self) -> list[int]:
        return [procedure.pk for procedure in self.procedures]

    @property
    def start(self) -> datetime:
        return _local_midnight(self.weeks[0])

    @property
    def end(self) -> datetime:
        return _local_midnight(self.weeks[-1] + timedelta(days=7))

    @property
    def today_start(self) -> datetime:
        """Midnight today (local): a seat of a day before is past."""
        return _local_midnight(timezone.localdate(self.now))

    def params(self) -> dict[str, Any]:
        return {
            "sites": self.site_ids,
            "procedures": self.procedure_ids,
            "start": self.start,
            "end": self.end,
            "now": self.now,
            "today": self.today_start,
            "tz": timezone.get_current_timezone_name(),
            "weeks": list(self.weeks),
        }


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_weeks(*, period: str, weeks: int, today: date) -> tuple[date, ...]:
    """The Mondays shown: ``weeks`` before this week (past), this week and the
    ``weeks - 1`` after it (coming), or both."""
    this_week = monday(today)
    past = [this_week - timedelta(weeks=n) for n in range(weeks, 0, -1)]
    coming = [this_week + timedelta(weeks=n) for n in range(weeks)]
    if period == Period.PAST:
        return tuple(past)
    if period == Period.COMING:
        return tuple(coming)
    return tuple(past + coming)


def dashboard_sites(user: User | AnonymousUser) -> list[Site]:
    """The sites whose figures ``user`` may see (agents: theirs; supervisors: all)."""
    return list(Site.objects.filter(managed_sites(user)).order_by("name", "pk"))


def dashboard_procedures() -> list[Procedure]:
    return list(Procedure.objects.order_by("name", "pk"))


class ScopeNotFound(LookupError):
    """A site or procedure filter names one that does not exist or is not the
    caller's: the page and the API answer 404, the same for both."""


def dashboard_scope(
    *,
    user: User | AnonymousUser,
    site: str = "",
    procedure: str = "",
    period: str = Period.BOTH,
    weeks: int = WEEKS_DEFAULT,
    now: datetime | None = None,
    sites: Sequence[Site] | None = None,
    procedures: Sequence[Procedure] | None = None,
) -> Scope:
    """The scope for ``user`` filtered by site and procedure slugs (empty: all).

    Raises ``ScopeNotFound`` for a slug that is not one of the user's sites or
    not a procedure. ``sites``/``procedures``: the lists already read (the
    page reads them for its filter form), to read them once.
    """
    now = now or timezone.now()
    visible = list(sites) if sites is not None else dashboard_sites(user)
    every_procedure = list(procedures) if procedures is not None else dashboard_procedures()
    chosen_sites = visible
    if site:
        chosen_sites = [s for s in visible if s.slug == site]
        if not chosen_sites:
            raise ScopeNotFound(site)
    chosen_procedures = every_procedure
    if procedure:
        chosen_procedures = [p for p in every_procedure if p.slug == procedure]
        if not chosen_procedures:
            raise ScopeNotFound(procedure)
    if period not in Period.VALUES:
        raise ValueError(period)
    if not 1 <= weeks <= WEEKS_MAX:
        raise ValueError(weeks)
    return Scope(
        sites=tuple(chosen_sites),
        procedures=tuple(chosen_procedures),
        weeks=period_weeks(period=period, weeks=weeks, today=timezone.localdate(now)),
        now=now,
        site_chosen=bool(site),
    )


# --- The sources: one aggregate query each -----------------------------------------


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


_WEEK_OF = "date_trunc('week', {column} AT TIME ZONE %(tz)s)::date"
_SLOTS_IN_SCOPE = """
    s.site_id = ANY(%(sites)s) AND s.procedure_id = ANY(%(procedures)s)
    AND s.starts_at >= %(start)s AND s.starts_at < %(end)s
"""
_GROUPED_SELECT = "GROUPING(site_id, procedure_id, week), site_id, procedure_id, week"


def seats(scope: Scope) -> SourceRows:
    """Capacity published, seats booked, and seats of past days left unbooked
    (per week of the slot)."""
    sql = f"""
        SELECT {_GROUPED_SELECT},
               COALESCE(SUM(capacity), 0), COALESCE(SUM(booked), 0),
               COALESCE(SUM(capacity - booked) FILTER (WHERE starts_at < %(today)s), 0)
        FROM (
            SELECT s.site_id, s.procedure_id, s.capacity, s.booked, s.starts_at,
                   {_WEEK_OF.format(column="s.starts_at")} AS week
            FROM {_table(Slot)} s
            WHERE {_SLOTS_IN_SCOPE}
        ) rows
        GROUP BY {_GROUPING_SETS}
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    return _grouped(sql, scope.params(), ("capacity", "booked", "unused"))


def appointments(scope: Scope) -> SourceRows:
    """Past appointments not cancelled, no-shows among them, cancellations by
    the person and by staff (per week of the appointment's slot)."""
    sql = f"""
        SELECT {_GROUPED_SELECT},
               COUNT(*) FILTER (WHERE status <> %(cancelled)s AND starts_at < %(today)s),
               COUNT(*) FILTER (WHERE status = %(no_show)s AND starts_at < %(today)s),
               COUNT(*) FILTER (WHERE status = %(cancelled)s AND by_person),
               COUNT(*) FILTER (WHERE status = %(cancelled)s AND NOT by_person)
        FROM (
            SELECT s.site_id, s.procedure_id, s.starts_at, a.status,
                   COALESCE(u.role = %(applicant)s, FALSE) AS by_person,
                   {_WEEK_OF.format(column="s.starts_at")} AS week
            FROM {_table(Appointment)} a
            JOIN {_table(Slot)} s ON s.id = a.slot_id
            LEFT JOIN {_table(User)} u ON u.id = a.cancelled_by_id
            WHERE {_SLOTS_IN_SCOPE}
        ) rows
        GROUP BY {_GROUPING_SETS}
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        **scope.params(),
        "cancelled": AppointmentStatus.CANCELLED,
        "no_show": AppointmentStatus.NO_SHOW,
        "applicant": Role.APPLICANT,
    }
    return _grouped(
        sql,
        params,
        ("past_appointments", "no_shows", "cancelled_by_person", "cancelled_by_staff"),
    )


def waits(scope: Scope) -> SourceRows:
    """The median days from a person's first search that found nothing (for the
    procedure, within ``WAIT_LOOKBACK_DAYS`` before) to the booking of their
    appointment, over the appointments not cancelled that had such a search."""
    sql = f"""
        WITH waited AS (
            SELECT s.site_id, s.procedure_id,
                   {_WEEK_OF.format(column="s.starts_at")} AS week,
                   (EXTRACT(EPOCH FROM a.created_at - MIN(f.first_at)) / 86400.0)::float8 AS days
            FROM {_table(Appointment)} a
            JOIN {_table(Slot)} s ON s.id = a.slot_id
            JOIN {_failed_searches_table()} f
              ON f.applicant_id = a.applicant_id AND f.procedure_id = a.procedure_id
             AND f.first_at <= a.created_at
             AND f.first_at > a.created_at - %(lookback)s
            WHERE {_SLOTS_IN_SCOPE} AND a.status <> %(cancelled)s
            GROUP BY a.id, s.site_id, s.procedure_id, week
        )
        SELECT {_GROUPED_SELECT},
               percentile_cont(0.5) WITHIN GROUP (ORDER BY days), COUNT(*)
        FROM waited
        GROUP BY {_GROUPING_SETS}
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        **scope.params(),
        "lookback": timedelta(days=WAIT_LOOKBACK_DAYS),
        "cancelled": AppointmentStatus.CANCELLED,
    }
    rows = _grouped(sql, params, ("median_days_to_booking", "waits_measured"))
    for values in rows.values():
        median = values["median_days_to_booking"]
        values["median_days_to_booking"] = None if median is None else round(float(median), 1)
    return rows


def messages(scope: Scope) -> SourceRows:
    """SMS and e-mails sent (or delivered) about the appointments of the week."""
    sql = f"""
        SELECT {_GROUPED_SELECT},
               COUNT(*) FILTER (WHERE channel = %(sms)s),
               COUNT(*) FILTER (WHERE channel = %(email)s)
        FROM (
            SELECT s.site_id, s.procedure_id, m.channel,
                   {_WEEK_OF.format(column="s.starts_at")} AS week
            FROM {_table(Message)} m
            JOIN {_table(Appointment)} a ON a.id = m.appointment_id
            JOIN {_table(Slot)} s ON s.id = a.slot_id
            WHERE {_SLOTS_IN_SCOPE} AND m.status = ANY(%(sent)s)
        ) rows
        GROUP BY {_GROUPING_SETS}
    """  # noqa: S608 (table names and fixed clauses; values are parameters)
    params = {
        **scope.params(),
        "sms": MessageChannel.SMS,
        "email": MessageChannel.EMAIL,
        "sent": [MessageStatus.SENT, MessageStatus.DELIVERED],
    }
    return _grouped(sql, params, ("sms_sent", "emails_sent"))


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


# --- The columns --------------------------------------------------------------------


def _ratio(numerator: str, denominator: str) -> Callable[[dict[str, Any]], float | None]:
    def compute(values: dict[str, Any]) -> float | None:
        total = values.get(denominator) or 0
        return round(values.get(numerator, 0) / total, 4) if total else None

    return compute


WEEKLY_SOURCES: list[Callable[[Scope], SourceRows]] = [
    seats,
    appointments,
    waits,
    messages,
    alerts,
    # The lead adds here at merge: closures (booking.Closure: seats closed and
    # appointments cancelled by a closure, per week of the slot).
]
WEEKLY_FIGURES: list[Figure] = [
    Figure("capacity", _("Seats published")),
    Figure("booked", _("Seats booked")),
    Figure("fill_rate", _("Fill rate"), Kind.RATE),
    Figure("unused", _("Seats unused (past days)")),
    Figure("alerts", _("New-slot alerts in force")),
    Figure("median_days_to_booking", _("Median days from a search that found nothing"), Kind.DAYS),
    Figure("past_appointments", _("Past appointments")),
    Figure("no_shows", _("No-shows")),
    Figure("no_show_rate", _("No-show rate"), Kind.RATE),
    Figure("cancelled_by_person", _("Cancelled by the person")),
    Figure("cancelled_by_staff", _("Cancelled by staff")),
    Figure("sms_sent", _("SMS sent")),
    Figure("emails_sent", _("E-mails sent")),
    # The lead adds here at merge: Figure("closed_seats", _("Seats closed")), ...
]
# Figures computed from the others, at every level (never summed).
DERIVED: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "fill_rate": _ratio("booked", "capacity"),
    "no_show_rate": _ratio("no_shows", "past_appointments"),
}
# A figure a source may leave out for a row: None, not 0 (no median without data).
_NONE_WHEN_MISSING = {"median_days_to_booking"}

CURRENT_SOURCES: list[Callable[[Scope], SourceRows]] = [
    substitution_open,
    # The lead adds here at merge: injunctions (booking.Injunction: open, at risk,
    # overdue), grouped by GROUPING SETS ((site_id, procedure_id), ()) as above.
]
CURRENT_FIGURES: list[Figure] = [
    Figure("substitution_open", _("Substitution requests open")),
    # The lead adds here at merge: Figure("injunctions_at_risk", ...), ("injunctions_overdue", ...)
]


# --- The dashboard ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of a table: its site, procedure and week (``None``: all of them,
    or for a current figure's site, a request that wishes no site), and its
    values in the order of ``figures``."""

    site: Site | None
    procedure: Procedure | None
    week: date | None
    values: dict[str, Any]
    figures: Sequence[Figure] = field(repr=False, default=())

    @property
    def cells(self) -> list[tuple[Figure, Any]]:
        return [(figure, self.values.get(figure.key)) for figure in self.figures]

    def value(self, key: str) -> Any:
        return self.values.get(key)


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    weekly: list[Row]  # one per week, every site and procedure of the scope
    pairs: list[Row]  # one per site and procedure with any figure, over the period
    total: Row  # the whole scope over the period
    detail: list[Row]  # per site, procedure and week (the pairs of ``pairs``)
    current: list[Row]  # today's figures per site (or no site) and procedure
    current_total: Row
    figures: Sequence[Figure] = tuple(WEEKLY_FIGURES)
    current_figures: Sequence[Figure] = tuple(CURRENT_FIGURES)

    @property
    def past_weeks(self) -> list[Row]:
        this_week = monday(timezone.localdate(self.scope.now))
        return [row for row in self.weekly if row.week < this_week]


def _values(raw: dict[str, Any], figures: Sequence[Figure]) -> dict[str, Any]:
    """The figures' values in their order (derived ones computed, missing counts 0),
    then whatever else the sources gave (helper counts such as ``waits_measured``)."""
    values: dict[str, Any] = {}
    for figure in figures:
        if figure.key in DERIVED:
            values[figure.key] = DERIVED[figure.key](raw)
        elif figure.key in raw:
            values[figure.key] = raw[figure.key]
        else:
            values[figure.key] = None if figure.key in _NONE_WHEN_MISSING else 0
    for key, value in raw.items():
        values.setdefault(key, value)
    return values


def dashboard_build(scope: Scope) -> Dashboard:
    """Run every source once for ``scope`` and lay out the tables."""
    weekly_raw: SourceRows = {}
    for source in WEEKLY_SOURCES:
        for key, values in source(scope).items():
            weekly_raw.setdefault(key, {}).update(values)
    current_raw: SourceRows = {}
    for source in CURRENT_SOURCES:
        for key, values in source(scope).items():
            current_raw.setdefault(key, {}).update(values)

    sites = {site.pk: site for site in scope.sites}
    procedures = {procedure.pk: procedure for procedure in scope.procedures}
    figures = tuple(WEEKLY_FIGURES)

    def row(site_id, procedure_id, week, raw, columns=figures) -> Row:
        return Row(
            site=sites.get(site_id) if site_id is not None else None,
            procedure=procedures.get(procedure_id) if procedure_id is not None else None,
            week=week,
            values=_values(raw, columns),
            figures=columns,
        )

    def order(key: tuple[int | None, int | None]) -> tuple:
        site, procedure = sites.get(key[0]), procedures.get(key[1])
        return (
            site is None,
            site.name if site else "",
            key[0] or 0,
            procedure.name if procedure else "",
            key[1] or 0,
        )

    weekly = [
        row(None, None, week, weekly_raw.get((WEEK, None, None, week), {})) for week in scope.weeks
    ]
    pair_keys = sorted(
        {
            (site_id, procedure_id)
            for level, site_id, procedure_id, _w in weekly_raw
            if level == PAIR
        },
        key=order,
    )
    pairs = [row(s, p, None, weekly_raw[(PAIR, s, p, None)]) for s, p in pair_keys]
    detail = [
        row(s, p, week, weekly_raw.get((DETAIL, s, p, week), {}))
        for s, p in pair_keys
        for week in scope.weeks
    ]
    total = row(None, None, None, weekly_raw.get((ALL, None, None, None), {}))
    current_figures = tuple(CURRENT_FIGURES)
    current_keys = sorted({(s, p) for level, s, p, _w in current_raw if level == PAIR}, key=order)
    current = [
        row(s, p, None, current_raw[(PAIR, s, p, None)], current_figures) for s, p in current_keys
    ]
    current_total = row(
        None, None, None, current_raw.get((ALL, None, None, None), {}), current_figures
    )
    return Dashboard(
        scope=scope,
        weekly=weekly,
        pairs=pairs,
        total=total,
        detail=detail,
        current=current,
        current_total=current_total,
    )


# --- Tables as plain values (CSV, API) ----------------------------------------------

TABLES = ("weekly", "sites", "detail", "current")


def table_rows(dashboard: Dashboard, table: str) -> tuple[list[str], list[list[Any]]]:
    """``table`` (one of ``TABLES``) as a header and rows of plain values: the
    site's and procedure's slugs and names, the week's Monday, then each figure
    (rates as fractions, days with one decimal, empty when there is no value)."""
    if table == "current":
        figures, rows = dashboard.current_figures, [*dashboard.current, dashboard.current_total]
    else:
        figures = dashboard.figures
        rows = {
            "weekly": dashboard.weekly,
            "sites": [*dashboard.pairs, dashboard.total],
            "detail": dashboard.detail,
        }[table]
    header = ["site", "site_name", "procedure", "procedure_name", "week", *(f.key for f in figures)]
    body = [
        [
            row.site.slug if row.site else "",
            row.site.name if row.site else "",
            row.procedure.slug if row.procedure else "",
            row.procedure.name if row.procedure else "",
            row.week.isoformat() if row.week else "",
            *(row.values.get(f.key) for f in figures),
        ]
        for row in rows
    ]
    return header, body
