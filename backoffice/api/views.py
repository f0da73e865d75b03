"""``GET /api/v1/agent/dashboard/``: the dashboard's figures, as JSON or CSV.

Same authentication and second factor as ``agent/publications/`` (a token, or
a session that passed the second factor); agents and supervisors only (403
``agents_only``). Agents see their sites; a ``site`` that is not theirs, or
does not exist, answers 404 ``site_not_found`` (and a procedure that does not
exist ``procedure_not_found``).

CSV: ``?format=csv`` or ``Accept: text/csv``, one table (``table=``, default
``detail``), every cell formula-safe (``core.csv``). Errors stay JSON.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.dashboard import (
    TABLES,
    WEEKS_DEFAULT,
    WEEKS_MAX,
    Dashboard,
    Figure,
    Period,
    Row,
    ScopeNotFound,
    dashboard_build,
    dashboard_procedures,
    dashboard_scope,
    dashboard_sites,
    table_rows,
)
from backoffice.errors import ProcedureNotFound, SiteNotFound
from booking.api.views.common import Publisher
from core.api import QuerySerializer, error_responses
from core.csv import csv_lines


class CSVRenderer(renderers.BaseRenderer):
    """One dashboard table as CSV: ``{"header": [...], "rows": [[...], ...]}``."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return "".join(csv_lines([data["header"], *data["rows"]])).encode(self.charset)


class DashboardQuerySerializer(QuerySerializer):
    site = serializers.SlugField(required=False, allow_blank=True, max_length=50, default="")
    procedure = serializers.SlugField(required=False, allow_blank=True, max_length=50, default="")
    weeks = serializers.IntegerField(
        required=False, min_value=1, max_value=WEEKS_MAX, default=WEEKS_DEFAULT
    )
    period = serializers.ChoiceField(choices=Period.VALUES, required=False, default=Period.BOTH)
    table = serializers.ChoiceField(choices=TABLES, required=False, default="detail")
    # Read by DRF's content negotiation; here so that ``?format=`` is refused too.
    format = serializers.ChoiceField(choices=["json", "csv"], required=False)


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["count", "rate", "days"])


class DashboardRowSerializer(serializers.Serializer):
    site = serializers.CharField(allow_null=True, help_text="The site's slug; null: every site.")
    procedure = serializers.CharField(
        allow_null=True, help_text="The procedure's slug; null: every procedure."
    )
    week = serializers.DateField(
        allow_null=True, help_text="The week's Monday; null: every week shown."
    )
    values = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Each figure's value by its key: counts, rates as fractions from 0 to 1, "
        "days with one decimal; null where there is none (no past appointment: no "
        "no-show rate).",
    )


class DashboardSerializer(serializers.Serializer):
    weeks = serializers.ListField(child=serializers.DateField(), help_text="The Mondays shown.")
    figures = FigureSerializer(many=True)
    current_figures = FigureSerializer(many=True)
    weekly = DashboardRowSerializer(many=True, help_text="Per week, the whole scope.")
    sites = DashboardRowSerializer(
        many=True, help_text="Per site and procedure, over the weeks shown."
    )
    total = DashboardRowSerializer(help_text="The whole scope over the weeks shown.")
    detail = DashboardRowSerializer(many=True, help_text="Per site, procedure and week.")
    current = DashboardRowSerializer(
        many=True,
        help_text="Today, per site (null: requests that wish no site) and procedure.",
    )
    current_total = DashboardRowSerializer()


def _figures(figures: tuple[Figure, ...] | list[Figure]) -> list[dict]:
    return [{"key": f.key, "label": str(f.label), "kind": f.kind} for f in figures]


def _row(row: Row) -> dict:
    return {
        "site": row.site.slug if row.site else None,
        "procedure": row.procedure.slug if row.procedure else None,
        "week": row.week,
        "values": {figure.key: row.values.get(figure.key) for figure in row.figures},
    }


def dashboard_payload(dashboard: Dashboard) -> dict:
    return {
        "weeks": list(dashboard.scope.weeks),
        "figures": _figures(dashboard.figures),
        "current_figures": _figures(dashboard.current_figures),
        "weekly": [_row(row) for row in dashboard.weekly],
        "sites": [_row(row) for row in dashboard.pairs],
        "total": _row(dashboard.total),
        "detail": [_row(row) for row in dashboard.detail],
        "current": [_row(row) for row in dashboard.current],
        "current_total": _row(dashboard.current_total),
    }


class DashboardView(APIView):
    permission_classes = [permissions.IsAuthenticated, Publisher]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        operation_id="agent_dashboard",
        parameters=[
            OpenApiParameter("site", str, description="A site's slug (one of yours); empty: all."),
            OpenApiParameter("procedure", str, description="A procedure's slug; empty: all."),
            OpenApiParameter(
                "weeks",
                int,
                description=f"Weeks before this one and from this one on (1 to {WEEKS_MAX}; "
                f"default {WEEKS_DEFAULT}).",
            ),
            OpenApiParameter(
                "period", str, enum=list(Period.VALUES), description="Default `both`."
            ),
            OpenApiParameter(
                "table",
                str,
                enum=list(TABLES),
                description="CSV only: the table to give (default `detail`).",
            ),
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="`csv` for CSV (or send `Accept: text/csv`).",
            ),
        ],
        responses={
            (200, "application/json"): DashboardSerializer,
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="One table: site, site_name, procedure, procedure_name, week, "
                "then one column per figure key. Cells a spreadsheet would run as a formula "
                "are prefixed with an apostrophe.",
            ),
            **error_responses(
                400,
                401,
                403,
                404,
                s400="`invalid`: `weeks` out of range, an unknown `period` or `table`",
                s403="`agents_only`",
                s404="`site_not_found` (also a site that is not yours), `procedure_not_found`",
            ),
        },
        tags=["agent"],
    )
    def get(self, request: Request) -> Response:
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        sites, procedures = dashboard_sites(request.user), dashboard_procedures()
        if data["site"] and data["site"] not in {site.slug for site in sites}:
            raise SiteNotFound()
        try:
            scope = dashboard_scope(
                user=request.user,
                site=data["site"],
                procedure=data["procedure"],
                period=data["period"],
                weeks=data["weeks"],
                sites=sites,
                procedures=procedures,
            )
        except ScopeNotFound:
            raise ProcedureNotFound() from None
        dashboard = dashboard_build(scope)
        if isinstance(request.accepted_renderer, CSVRenderer):
            header, rows = table_rows(dashboard, data["table"])
            response = Response({"header": header, "rows": rows})
            response["Content-Disposition"] = (
                f'attachment; filename="guichet-dashboard-{data["table"]}.csv"'
            )
            return response
        # Plain values (counts stay integers); DashboardSerializer documents the shape.
        return Response(dashboard_payload(dashboard))

    def finalize_response(self, request, response, *args, **kwargs):
        # Anything but a table (an error, OPTIONS' description) is JSON whatever
        # was asked for: the CSV renderer renders tables only.
        data = getattr(response, "data", None)
        is_table = isinstance(data, dict) and "header" in data
        if not is_table and isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
