"""The dashboard (``/agent/dashboard/``): figures per site, procedure and week,
as SVG charts, each with its table, and every table as CSV.

Agents see their sites, supervisors every site; anyone else logged in gets 403.
A site filter naming a site that is not the caller's (or does not exist)
answers 404, like a missing one. Read-only: the figures come from
``backoffice.dashboard`` in a bounded number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role
from backoffice.charts import Chart, Series, bar_chart
from backoffice.dashboard import (
    TABLES,
    Dashboard,
    Row,
    ScopeNotFound,
    dashboard_build,
    dashboard_procedures,
    dashboard_scope,
    dashboard_sites,
    table_rows,
)
from backoffice.forms import DashboardFilterForm
from core.csv import csv_lines

DASHBOARD_ROLES = (Role.AGENT, Role.SUPERVISOR)


@dataclass(frozen=True)
class ChartSpec:
    id: str
    title: str
    figures: tuple[str, ...]
    percent: bool = False
    past_only: bool = False  # figures that exist for past days only


def chart_specs() -> list[ChartSpec]:
    """The charts, in page order: each draws some weekly figures (its table shows them)."""
    return [
        ChartSpec("seats", _("Seats per week"), ("capacity", "booked", "unused")),
        ChartSpec(
            "rates",
            _("Fill and no-show rates per week"),
            ("fill_rate", "no_show_rate"),
            percent=True,
        ),
        ChartSpec("demand", _("New-slot alerts in force per week"), ("alerts",)),
        ChartSpec(
            "wait",
            _("Median days from a search that found nothing to the booking"),
            ("median_days_to_booking",),
        ),
        ChartSpec(
            "cancellations",
            _("Cancellations per week"),
            ("cancelled_by_person", "cancelled_by_staff", "cancelled_by_closure"),
        ),
        ChartSpec("messages", _("Messages sent per week"), ("sms_sent", "emails_sent")),
    ]


def _staff_only(request: HttpRequest) -> None:
    if request.user.role not in DASHBOARD_ROLES:
        raise PermissionDenied


def _week_label(row: Row) -> str:
    return formats.date_format(row.week, "d/m")


def _chart(dashboard: Dashboard, spec: ChartSpec) -> dict:
    labels = {figure.key: figure for figure in dashboard.figures}
    figures = [labels[key] for key in spec.figures if key in labels]
    weeks = dashboard.weekly
    first, last = weeks[0].week, weeks[-1].week
    chart: Chart = bar_chart(
        id=f"chart-{spec.id}",
        title=spec.title,
        description=_(
            "Bars per week from %(first)s to %(last)s: %(series)s. "
            "The table below the chart gives every value."
        )
        % {
            "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
            "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
            "series": ", ".join(str(f.label) for f in figures),
        },
        categories=[_week_label(row) for row in weeks],
        series=[Series(str(f.label), [row.value(f.key) for row in weeks]) for f in figures],
        percent=spec.percent,
    )
    rows = [(row.week, [(f, row.value(f.key)) for f in figures]) for row in weeks]
    return {"spec": spec, "chart": chart, "figures": figures, "rows": rows}


def _filters(request: HttpRequest):
    """The filter form, the scope it asks for (``None`` when the form is wrong),
    and the status: 404 for a site or procedure that is not the caller's."""
    sites, procedures = dashboard_sites(request.user), dashboard_procedures()
    form = DashboardFilterForm(request.GET, sites=sites, procedures=procedures)
    try:
        # Before the form: a site not the caller's is a 404, not a form error.
        scope = dashboard_scope(
            user=request.user,
            site=request.GET.get("site", ""),
            procedure=request.GET.get("procedure", ""),
            sites=sites,
            procedures=procedures,
        )
    except ScopeNotFound:
        raise Http404 from None
    if not form.is_valid():
        return form, None
    return form, dashboard_scope(
        user=request.user,
        site=form.cleaned_data["site"],
        procedure=form.cleaned_data["procedure"],
        period=form.cleaned_data["period"],
        sites=sites,
        procedures=procedures,
        now=scope.now,
    )


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form, scope = _filters(request)
    context: dict = {"form": form, "office_page": "dashboard"}
    if scope is None:
        return render(request, "office/dashboard/page.html", context, status=400)
    built = dashboard_build(scope)
    context.update(
        {
            "dashboard": built,
            "charts": [_chart(built, spec) for spec in chart_specs()] if built.weekly else [],
            "query": request.GET.urlencode(),
            "at_risk_days": settings.INJUNCTION_AT_RISK_DAYS,
            "period_first": scope.weeks[0],
            "period_last": scope.weeks[-1],
        }
    )
    return render(request, "office/dashboard/page.html", context)


def _labelled(dashboard: Dashboard, table: str) -> tuple[list[str], list[list]]:
    """``table``'s rows, its header in the reader's language (a chart's table:
    the weekly table's columns it draws)."""
    charts = {spec.id: spec for spec in chart_specs()}
    base = "weekly" if table in charts else table
    header, rows = table_rows(dashboard, base)
    figures = {f.key: f for f in (*dashboard.figures, *dashboard.current_figures)}
    if table in charts:
        keep = [0, 1, 2, 3, 4] + [header.index(key) for key in charts[table].figures]
        header = [header[i] for i in keep]
        rows = [[row[i] for i in keep] for row in rows]
    names = {
        "site": _("Site (code)"),
        "site_name": _("Site"),
        "procedure": _("Procedure (code)"),
        "procedure_name": _("Procedure"),
        "week": _("Week of"),
    }
    labelled = [str(names.get(key) or figures[key].label) for key in header]
    return labelled, rows


@require_GET
@login_required
def dashboard_csv(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the page as CSV (cells formula-safe: ``core.csv``), with the
    page's filters."""
    _staff_only(request)
    if table not in (*TABLES, *(spec.id for spec in chart_specs())):
        raise Http404
    _form, scope = _filters(request)
    if scope is None:
        return HttpResponse(
            _("The filters are not valid."), status=400, content_type="text/plain; charset=utf-8"
        )
    header, rows = _labelled(dashboard_build(scope), table)
    response = HttpResponse(
        "".join(csv_lines([header, *rows])), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="guichet-dashboard-{table}-{stamp}.csv"'
    )
    return response
