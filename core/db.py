"""Prepared statements for the few queries every storm request makes.

Django binds parameters client-side on PostgreSQL: each query reaches the
server as new text, which it parses and plans again. For the statements of the
hot paths (the token lookup, the slot read, the booking statement) planning
cost PostgreSQL more CPU than executing them; on a two-core machine that CPU is
the web workers'. ``prepared_cursor()`` gives a Django cursor (errors wrapped,
queries logged and counted as usual) whose ``execute`` binds server-side and
prepares: PostgreSQL plans each statement once per connection (connections
persist, ``CONN_MAX_AGE``), then runs the saved plan.

Only for statements written here with ``%s`` placeholders in value positions
(server-side binding cannot bind an identifier). Elsewhere (SQLite) it is the
ordinary cursor. A connection pooler in front of PostgreSQL must keep prepared
statements per client (PgBouncer 1.21+ in transaction mode with
``max_prepared_statements``, or session mode).
"""

from __future__ import annotations

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor


def prepared_cursor():
    """A cursor whose ``execute(sql, params)`` prepares ``sql`` (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    # As BaseDatabaseWrapper.cursor() does, with another cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_PreparingCursor(connection.connection))


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
