"""What a path that acts for an account does so that a suspension cannot miss it.

``backoffice.abuse.services.account_suspend`` locks the account's row
``FOR UPDATE`` first, then reads what it releases (the appointments to come,
the waiting-list entries in force) and commits. A booking or a join that
passed the login check before the suspension committed could otherwise write
after those reads and commit after the suspension: an appointment of a
suspended account left in force.

So each such path locks the acting account's row ``FOR KEY SHARE`` in its own
transaction, before any other row a suspension also locks, and is refused when
the row it locked is suspended:

- its lock taken first, the suspension waits for its commit, then reads (a new
  snapshot) and releases what it wrote;
- the suspension's lock taken first, the path waits for the suspension's
  commit; PostgreSQL then locks the row's new version and the path reads
  ``suspended_at`` set: refused, nothing written.

``FOR KEY SHARE`` conflicts with ``FOR UPDATE`` only: bookings of one account
never wait for each other, nor for the account's ordinary updates (its last
login). It is also the lock the appointment's foreign key to its booker takes
at the commit anyway.

The check is an expression of the caller's own query (no round trip of its
own): ``suspended_locked_sql`` for a hand-written statement
(``booking.statements``), ``SuspendedLocked`` for the ORM.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Func, IntegerField

from accounts.models import User


def suspended_locked_sql(ids: str) -> str:
    """An SQL expression: how many of the accounts whose ids ``ids`` lists (SQL,
    e.g. ``%s, a.user_id``; a NULL matches none) are suspended, their rows locked
    ``FOR KEY SHARE`` until the transaction ends."""
    quote = connection.ops.quote_name
    table = quote(User._meta.db_table)
    suspended_at = quote(User._meta.get_field("suspended_at").column)
    pk = quote(User._meta.pk.column)
    return (
        f"(SELECT count(*) FILTER (WHERE l.{suspended_at} IS NOT NULL) "  # noqa: S608
        f"FROM (SELECT u.{suspended_at} FROM {table} u WHERE u.{pk} IN ({ids}) "
        "FOR KEY SHARE) l)"
    )


class SuspendedLocked(Func):
    """``suspended_locked_sql`` as an ORM expression over its arguments (account
    ids: values or columns of the query, ``None`` matches none). A count:
    0 when none is suspended."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        extra_context["template"] = suspended_locked_sql("%(expressions)s")
        return super().as_sql(compiler, connection, **extra_context)


__all__ = ["SuspendedLocked", "suspended_locked_sql"]
