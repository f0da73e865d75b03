"""The agents' dashboard: figures per site, procedure and week, set-based.

- ``scope``: what a request covers (sites, procedures, weeks) and who sees what;
- ``sources``: the queries over the raw rows;
- ``store``: the past weeks' figures kept (``backoffice.DashboardWeek``), refreshed
  hourly (``backoffice.tasks``) and rebuilt by ``manage.py dashboard_rebuild``;
- ``build``: the figures, their totals (grouped, never summed) and the tables;
- ``tables``: the tables as plain values (CSV, API).

What each figure means exactly: ``docs/backoffice/dashboard.md``.
"""

from .build import (
    CURRENT_FIGURES,
    CURRENT_SOURCES,
    DERIVED,
    GROUPED_SOURCES,
    WEEKLY_FIGURES,
    Dashboard,
    Row,
    dashboard_build,
    grouped,
    scope_detail,
)
from .scope import (
    ALL,
    DETAIL,
    PAIR,
    WAIT_LOOKBACK_DAYS,
    WEEK,
    WEEKS_DEFAULT,
    WEEKS_MAX,
    Figure,
    Kind,
    Period,
    Scope,
    ScopeNotFound,
    SourceRows,
    dashboard_procedures,
    dashboard_scope,
    dashboard_sites,
    monday,
    period_weeks,
)
from .sources import (
    ADDITIVE,
    alerts,
    injunctions,
    substitution_open,
    waiting_list,
    week_detail,
)
from .store import (
    REFRESH_WEEKS,
    dashboard_weeks_due,
    dashboard_weeks_rebuild,
    dashboard_weeks_refresh,
    stored_detail,
)
from .tables import TABLES, table_rows

__all__ = [
    "ADDITIVE",
    "ALL",
    "CURRENT_FIGURES",
    "CURRENT_SOURCES",
    "DERIVED",
    "DETAIL",
    "GROUPED_SOURCES",
    "PAIR",
    "REFRESH_WEEKS",
    "TABLES",
    "WAIT_LOOKBACK_DAYS",
    "WEEK",
    "WEEKLY_FIGURES",
    "WEEKS_DEFAULT",
    "WEEKS_MAX",
    "Dashboard",
    "Figure",
    "Kind",
    "Period",
    "Row",
    "Scope",
    "ScopeNotFound",
    "SourceRows",
    "alerts",
    "dashboard_build",
    "dashboard_procedures",
    "dashboard_scope",
    "dashboard_sites",
    "dashboard_weeks_due",
    "dashboard_weeks_rebuild",
    "dashboard_weeks_refresh",
    "grouped",
    "injunctions",
    "monday",
    "period_weeks",
    "scope_detail",
    "stored_detail",
    "substitution_open",
    "table_rows",
    "waiting_list",
    "week_detail",
]
