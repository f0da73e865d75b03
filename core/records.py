"""A model instance's row as one JSON record, and the CTE that inserts it.

The hot paths' statements (``booking.statements``: a booking;
``allocation.statements``: a join, an offer's answer) insert several rows in
one statement of data-modifying CTEs. Each row travels as one JSON parameter
(``row_record``) that ``json_populate_record`` types with the table's own
record type (``insert_cte``): a handful of parameters instead of some eighty,
which keeps the statement within psycopg's cache of parsed queries. The rows
are built by their owners as unsaved model instances; the columns are read
once from the models' metadata, so that a new column needs no change here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from uuid import UUID

from django.db import connection
from django.db.models import JSONField, Model
from django.utils.duration import duration_iso_string


def _json_default(value: object) -> str:
    """JSON for the values ``json`` does not know; PostgreSQL parses them back
    with the column's type (full precision: no millisecond rounding)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not serialisable for a record")


_dumps = json.JSONEncoder(default=_json_default, ensure_ascii=False).encode


# Values of these exact types need no preparation by Django's own fields.
_PLAIN = (str, int, bool)


@cache
def _layout(model: type[Model], *, with_pk: bool) -> tuple[list[tuple], list[str]]:
    """Per field to insert: its attname, its column, the field when its value
    must go through ``pre_save`` (auto_now fields), the field when it goes
    through ``get_prep_value`` (every field but JSON ones, nested as they are),
    and whether a plain value may skip that (Django's own fields); and the
    quoted columns."""
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    layout = []
    for field in fields:
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        prep = not isinstance(field, JSONField)
        django_own = type(field).get_prep_value.__module__.startswith("django.")
        layout.append((field.attname, field.column, auto and field, prep and field, django_own))
    return layout, [quote(field.column) for field in fields]


def row_record(obj: Model) -> str:
    """``obj``'s row as one JSON object keyed by column, for ``json_populate_record``.

    One parameter per row instead of one per column: psycopg caches the parsing
    of a query of at most 50 parameters, and a booking has some eighty values.
    """
    layout, _ = _layout(type(obj), with_pk=obj.pk is not None)
    row = {}
    for attname, column, auto, prep, django_own in layout:
        value = auto.pre_save(obj, True) if auto else getattr(obj, attname)
        if prep and value is not None and not (django_own and type(value) in _PLAIN):
            value = prep.get_prep_value(value)
        row[column] = value
    return _dumps(row)


def insert_cte(
    name: str,
    model: type[Model],
    *,
    source: str,
    with_pk: bool,
    taken: dict[str, str] | None = None,
    conflict_skipped: bool = False,
    returning: str = "id",
) -> str:
    """The CTE ``name`` inserting one row of ``model`` per row of ``source``,
    from its JSON record (``row_record``: the CTE's one parameter); ``taken``
    maps quoted columns to the expression that gives them instead (a column of
    ``source``); ``conflict_skipped``: a row a unique index refuses is not
    inserted (``ON CONFLICT DO NOTHING``: the CTE returns no row for it);
    ``returning``: the columns the CTE gives (quoted)."""
    _, quoted = _layout(model, with_pk=with_pk)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(quoted)
    taken = taken or {}
    values = ", ".join(taken.get(column, f"r.{column}") for column in quoted)
    # Identifiers come from the models' metadata; the row is a parameter, typed
    # column by column by the table's own record type.
    return (
        f"{name} AS (INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {values} FROM {source}, json_populate_record(NULL::{table}, %s::json) AS r "
        f"{'ON CONFLICT DO NOTHING ' if conflict_skipped else ''}RETURNING {returning})"
    )
