"""Prepared statements for the few queries every storm request makes, and
timestamps read in C.

Django binds parameters client-side on PostgreSQL: each query reaches the
server as new text, which it parses and plans again. For the statements of the
hot paths (the token lookup, the slot read, the booking statement) planning
cost PostgreSQL more CPU than executing them; on a two-core machine that CPU is
the web workers'. ``prepared_cursor()`` gives a Django cursor (errors wrapped,
queries logged and counted as usual) whose ``execute`` binds server-side and
prepares: PostgreSQL plans each statement once per connection (connections
persist, ``CONN_MAX_AGE``), then runs the saved plan.

Only for statements written here with ``%s`` placeholders in value positions
(server-side binding cannot bind an identifier). The hot paths call
``prepared_run``, which runs each of their statements on a psycopg cursor kept
for it (see there).

A connection pooler in front of PostgreSQL must keep prepared
statements per client (PgBouncer 1.21+ in transaction mode with
``max_prepared_statements``, or session mode).

``JoinedRow`` turns one row of several joined tables (the token lookup: the
token, its account and its identity; the booking's slot read: the slot, its
site, procedure and horizon) into the model instances the ORM would have made,
with the columns and converters computed once per process: the hydration of
the hot paths' hand-written statements, written once.

Django reads every ``timestamptz`` through its own loader, a Python subclass
of psycopg's pure-Python one: it never uses psycopg's C loader, and parsing
the text of a timestamp in Python cost more CPU than the round trip of the
query that brought it (the token lookup reads seven of them).
``utc_timestamps_in_c`` (a ``connection_created`` receiver) puts psycopg's C
loader back for connections whose time zone is UTC, as Django's always is
with ``USE_TZ`` and no database ``TIME_ZONE``: the same values, the same
``datetime.timezone.utc``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import psycopg
from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import Model
from psycopg.adapt import Loader
from psycopg.pq import Format


def prepared_cursor():
    """A cursor whose ``execute(sql, params)`` prepares ``sql``."""
    # As BaseDatabaseWrapper.cursor() does, with another cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_PreparingCursor(connection.connection))


def prepared_run(sql: str, params: list, *, fetch: str | None = "one"):
    """Run ``sql`` prepared and return its first row (``fetch="one"``), all its
    rows (``"all"``) or nothing (``None``): the hot paths' statements.

    Unless queries are being logged (``DEBUG``, the tests counting them) or an
    execute wrapper is installed, the statement runs on a psycopg cursor kept
    for it on the connection, under Django's error wrapping but not its cursor
    wrapper: a new cursor sets up a loader for each column of its first result
    (the booking's token lookup reads some fifty), and Django's wrapper adds
    its layers; the two cost as much CPU as the round trip itself. A cursor keeps its loaders
    only while it runs the same statement, hence one cursor per statement.
    """
    if connection.queries_logged or connection.execute_wrappers:
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            return _fetched(cursor, fetch)
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = _kept_cursor(sql)
        cursor.execute(sql, params, prepare=True)
        return _fetched(cursor, fetch)


def _fetched(cursor, fetch: str | None):
    if fetch == "one":
        return cursor.fetchone()
    if fetch == "all":
        return cursor.fetchall()
    return None


def _kept_cursor(sql: str) -> ServerBindingCursor:
    """The connection's cursor for ``sql`` (a new connection gets new ones)."""
    raw = connection.connection
    kept = getattr(connection, "_guichet_cursors", None)
    if kept is None or kept[0] is not raw:
        kept = connection._guichet_cursors = (raw, {})
    cursor = kept[1].get(sql)
    if cursor is None or cursor.closed:
        cursor = kept[1][sql] = ServerBindingCursor(raw)
    return cursor


class _Sent:
    __slots__ = ("query",)

    def __init__(self, query: bytes) -> None:
        self.query = query


class _PreparingCursor(ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        result = super().execute(
            query, params, prepare=True if prepare is None else prepare, binary=binary
        )
        if self._query is None:
            # psycopg records the query it sent only when it is not prepared;
            # Django's query log (and the tests counting queries) read it.
            self._query = _Sent(query.encode() if isinstance(query, str) else query)
        return result


_UTC = datetime.UTC
# psycopg's own loader: its C one when psycopg has its C module (``binary``).
_PSYCOPG_TIMESTAMPTZ = psycopg.adapters.get_loader(
    psycopg.adapters.types["timestamptz"].oid, Format.TEXT
)


class _UtcTimestamptzLoader(Loader):
    """A ``timestamptz`` as an aware ``datetime`` in UTC, parsed by psycopg's
    own loader (its C one with ``psycopg[binary]``). When the session's time
    zone is UTC, the case Django sets up, that loader's result is the answer
    and no Python runs per value; otherwise it is converted to UTC."""

    # Django's ``create_cursor`` compares it with the connection's.
    timezone = _UTC

    def __init__(self, oid: int, context=None) -> None:
        super().__init__(oid, context)
        self._parse = _PSYCOPG_TIMESTAMPTZ(oid, context).load
        conn = self.connection
        if conn is not None and conn.info.timezone is _UTC:
            self.load = self._parse  # the C method itself, no Python frame per value

    def load(self, data):
        return self._parse(data).astimezone(_UTC)


def utc_timestamps_in_c(sender, connection, **kwargs) -> None:
    """``connection_created``: read timestamps with psycopg's own loader on a
    PostgreSQL connection whose Django time zone is UTC (``USE_TZ``, no
    database ``TIME_ZONE``)."""
    if connection.timezone is not _UTC:
        return
    connection.connection.adapters.register_loader("timestamptz", _UtcTimestamptzLoader)


def constraint_of(exc: Exception) -> str:
    """The name of the constraint an ``IntegrityError`` violated (PostgreSQL's
    diagnostics), else its message: what services match to tell refusals apart."""
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", None) or str(exc)


class JoinedRow:
    """The columns of several models read side by side in one row (``alias.column``
    in ``columns``), and how to make instances of them (``instances``) or read
    one value without any (``value``). Build it after the apps are ready (it
    reads the models' metadata and the connection's converters); keep it."""

    def __init__(self, models: Sequence[tuple[type[Model], str]]) -> None:
        quote = connection.ops.quote_name
        columns: list[str] = []
        self.layout: list[tuple[type[Model], list[tuple[str, object, list]], int]] = []
        self._positions: dict[tuple[type[Model], str], tuple[int, object, list]] = {}
        for model, alias in models:
            fields = []
            for field in model._meta.concrete_fields:
                col = field.get_col(alias)
                converters = connection.ops.get_db_converters(col) + col.get_db_converters(
                    connection
                )
                self._positions[(model, field.attname)] = (len(columns), col, converters)
                fields.append((field.attname, col, converters))
                columns.append(f"{alias}.{quote(field.column)}")
            pk_at = [attname for attname, _col, _conv in fields].index(model._meta.pk.attname)
            self.layout.append((model, fields, pk_at))
        self.columns = ", ".join(columns)
        self.width = len(columns)

    def position(self, model: type[Model], attname: str) -> tuple[int, object, list]:
        """Where ``model``'s ``attname`` is in the row, its column and converters."""
        return self._positions[(model, attname)]

    @staticmethod
    def value(row: Sequence, position: tuple[int, object, list]):
        """The converted value at ``position`` (``position()``) of ``row``."""
        index, col, converters = position
        value = row[index]
        for converter in converters:
            value = converter(value, col, connection)
        return value

    def instances(self, row: Sequence) -> list[Model | None]:
        """One instance per model, in order, as ``Model.from_db`` makes them;
        ``None`` for a model whose primary key is NULL (a ``LEFT JOIN`` that
        found nothing). Relations between them are the caller's to cache."""
        made: list[Model | None] = []
        values = iter(row)
        for model, fields, pk_at in self.layout:
            attnames, converted = [], []
            for attname, col, converters in fields:
                value = next(values)
                for converter in converters:
                    value = converter(value, col, connection)
                attnames.append(attname)
                converted.append(value)
            made.append(
                None
                if converted[pk_at] is None
                else model.from_db(connection.alias, attnames, converted)
            )
        return made


class PreparedQuery:
    """A query the ORM writes once per process, then runs prepared with each
    call's values: for a hot path whose query is all rules (querysets the
    rulebooks own), where compiling it through the ORM at every request cost
    more CPU than running it.

    ``build(**sentinels)`` returns the queryset, written with a sentinel for
    each value that changes from call to call (an id, a moment). Its SQL and
    parameters are taken once (on first use, on this process's database);
    ``run(**values)`` puts each call's values where the sentinels were and runs
    the statement with ``prepared_run``. A sentinel must be of a value nothing
    else in the query has (an odd negative id, a date of another century) and
    reach the parameters as it was given: a scalar, not a list. Returns the
    first row's values in the order of the queryset's ``values_list``.
    """

    def __init__(self, build, **sentinels) -> None:
        self._build = build
        self._sentinels = sentinels
        self._compiled: tuple[str, list[tuple[str | None, object]]] | None = None

    def _compile(self) -> tuple[str, list[tuple[str | None, object]]]:
        queryset = self._build(**self._sentinels)
        sql, params = queryset.query.get_compiler(connection.alias).as_sql()
        slots: list[tuple[str | None, object]] = []
        for value in params:
            name = next(
                (
                    key
                    for key, sentinel in self._sentinels.items()
                    # isinstance: Django may wrap it (psycopg's ``Int4`` for a ``Value``)
                    if isinstance(value, type(sentinel)) and value == sentinel
                ),
                None,
            )
            slots.append((name, value))
        missing = set(self._sentinels) - {name for name, _value in slots}
        if missing:
            raise ValueError(f"sentinels not found in the query's parameters: {sorted(missing)}")
        return sql, slots

    def statement(self, **values) -> tuple[str, list]:
        """The SQL (the same text at every call) and this call's parameters:
        for a statement that runs the query inside its own (a CTE)."""
        if self._compiled is None:
            self._compiled = self._compile()
        sql, slots = self._compiled
        return sql, [_put(values, name, value) for name, value in slots]

    def run(self, **values) -> tuple | None:
        return prepared_run(*self.statement(**values))


def _put(values: dict, name: str | None, compiled: object) -> object:
    """The parameter of a call: ``compiled`` as the ORM wrote it, or the call's
    value where its sentinel was, wrapped as the ORM wrapped the sentinel."""
    if name is None:
        return compiled
    value = values[name]
    wrapper = type(compiled)
    if value is not None and not isinstance(value, wrapper):
        return wrapper(value)
    return value
