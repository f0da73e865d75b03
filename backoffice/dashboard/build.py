"""The dashboard's figures and tables: per site, procedure and week, the weeks'
totals, each site and procedure's totals over the period, the grand total.

The weekly figures start from the *detail* (per site, procedure and week): the
past weeks' is read from ``backoffice.DashboardWeek`` when kept
(``store.stored_detail``), any other week's is computed from the raw rows
(``sources.week_detail``). Every total is grouped from the detail, never summed
from other totals: counts add up, a median is the median of every wait of the
group (each detail row keeps its waits), a rate is a ratio of sums. The figures
that do not add up across rows (``GROUPED_SOURCES``: the alerts, a person
subscribed to two sites counted once) and today's figures (``CURRENT_SOURCES``)
come grouped by ``GROUPING SETS``. The number of queries does not depend on the
data: two to resolve the scope (sites, procedures), one for the kept weeks, two
for the weeks computed live (none when every week is kept), one per other source.

Adding a figure: a count of a week that adds up goes to ``sources._counts``,
``sources.ADDITIVE`` and ``backoffice.DashboardWeek`` (a migration, then
``manage.py dashboard_rebuild``); any other is a source (``(scope) ->
SourceRows``, one query) appended to ``GROUPED_SOURCES`` or ``CURRENT_SOURCES``.
Then its ``Figure`` goes to ``WEEKLY_FIGURES`` or ``CURRENT_FIGURES``: the page,
its charts' tables, the CSV downloads and the API list every figure of these
lists. What each figure means exactly: ``docs/backoffice/dashboard.md``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scope import ALL, DETAIL, PAIR, WEEK, Figure, Key, Kind, Scope, SourceRows, monday
from .sources import (
    ADDITIVE,
    Detail,
    alerts,
    injunctions,
    substitution_open,
    waiting_list,
    week_detail,
)
from .store import stored_detail


def _ratio(numerator: str, denominator: str) -> Callable[[dict[str, Any]], float | None]:
    def compute(values: dict[str, Any]) -> float | None:
        total = values.get(denominator) or 0
        return round(values.get(numerator, 0) / total, 4) if total else None

    return compute


# Weekly figures that do not add up across rows: grouped by their own query.
GROUPED_SOURCES: list[Callable[[Scope], SourceRows]] = [alerts]
WEEKLY_FIGURES: list[Figure] = [
    Figure("capacity", _("Seats published")),
    Figure("booked", _("Seats booked")),
    Figure("fill_rate", _("Fill rate"), Kind.RATE),
    Figure("unused", _("Seats unused (past days)")),
    Figure("closed_seats", _("Seats closed")),
    Figure("alerts", _("New-slot alerts in force")),
    Figure("median_days_to_booking", _("Median days from a search that found nothing"), Kind.DAYS),
    Figure("past_appointments", _("Past appointments")),
    Figure("no_shows", _("No-shows")),
    Figure("no_show_rate", _("No-show rate"), Kind.RATE),
    Figure("cancelled_by_person", _("Cancelled by the person")),
    Figure("cancelled_by_staff", _("Cancelled by staff")),
    Figure("cancelled_by_closure", _("Cancelled by a closure")),
    Figure("sms_sent", _("SMS sent")),
    Figure("emails_sent", _("E-mails sent")),
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
    injunctions,
    waiting_list,
]
CURRENT_FIGURES: list[Figure] = [
    Figure("substitution_open", _("Substitution requests open")),
    Figure("injunctions_open", _("Court orders open")),
    Figure("injunctions_at_risk", _("Court orders at risk")),
    Figure("injunctions_overdue", _("Court orders overdue")),
    Figure("waiting_list", _("People on the waiting list (at each site they listed)")),
]


# --- The detail, grouped ------------------------------------------------------------


def scope_detail(scope: Scope) -> Detail:
    """The detail of every week of ``scope``: the past weeks kept, the others live."""
    past = [week for week in scope.weeks if week < scope.this_week]
    kept, detail = stored_detail(scope, past)
    live = [week for week in scope.weeks if week not in kept]
    detail.update(week_detail(scope, live))
    return detail


def _summary(counts: dict[str, int], waits: list[float]) -> dict[str, Any]:
    values: dict[str, Any] = dict(counts)
    values["waits_measured"] = len(waits)
    if waits:
        values["median_days_to_booking"] = round(float(statistics.median(waits)), 1)
    return values


def grouped(detail: Detail) -> SourceRows:
    """The detail's rows at every level (detail, week, pair, all): the counts
    summed, the median of every wait of the group."""
    groups: dict[Key, tuple[dict[str, int], list[float]]] = {}
    for (site_id, procedure_id, week), values in detail.items():
        for key in (
            (DETAIL, site_id, procedure_id, week),
            (WEEK, None, None, week),
            (PAIR, site_id, procedure_id, None),
            (ALL, None, None, None),
        ):
            counts, waits = groups.setdefault(key, ({name: 0 for name in ADDITIVE}, []))
            for name in ADDITIVE:
                counts[name] += values[name]
            waits.extend(values["waits"])
    return {key: _summary(counts, waits) for key, (counts, waits) in groups.items()}


# --- The dashboard ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of a table: its site, procedure and week (``None``: all of them,
    or for a current figure's site, a request that wishes no site), and its
    values in the order of ``figures``."""

    site: Any
    procedure: Any
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


def _merged(sources: Sequence[Callable[[Scope], SourceRows]], scope: Scope, into: SourceRows):
    for source in sources:
        for key, values in source(scope).items():
            into.setdefault(key, {}).update(values)
    return into


def dashboard_build(scope: Scope) -> Dashboard:
    """Read or compute every figure of ``scope`` once and lay out the tables."""
    weekly_raw = _merged(GROUPED_SOURCES, scope, grouped(scope_detail(scope)))
    current_raw = _merged(CURRENT_SOURCES, scope, {})

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
        {(site, procedure) for level, site, procedure, _w in weekly_raw if level == PAIR},
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
