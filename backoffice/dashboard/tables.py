"""The dashboard's tables as plain values (CSV, API)."""

from __future__ import annotations

from typing import Any

from .build import Dashboard

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
