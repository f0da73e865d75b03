"""API tokens in use: ``last_used_at``, written rarely and cheaply.

The ``Authorization: Token <key>`` authentication itself reads the token with
its account and the account's identity in one statement, so it lives with the
identities: ``booking.api.authentication``.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from core.db import prepared_run

# ``last_used_at`` is written at most this often per token: one conditional
# UPDATE every few minutes, not a write per request.
LAST_USED_PRECISION = timedelta(minutes=5)


def token_used(token: ApiToken) -> None:
    """Record that ``token`` was used, when its ``last_used_at`` (loaded with
    it) is older than ``LAST_USED_PRECISION``: no query in the common case. The
    UPDATE is conditional, so concurrent requests write it once; it is one
    prepared statement, as the lookup is (a client coming back after a pause
    pays it on its first request, which in a release storm is the booking)."""
    now = timezone.now()
    stale = now - LAST_USED_PRECISION
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    adapt = connection.ops.adapt_datetimefield_value
    prepared_run(
        _touch_statement(connection.vendor), [adapt(now), token.pk, adapt(stale)], fetch=None
    )
    token.last_used_at = now


@cache
def _touch_statement(vendor: str) -> str:
    quote = connection.ops.quote_name
    column = quote(ApiToken._meta.get_field("last_used_at").column)
    # Identifiers come from the model's metadata, quoted; values are parameters.
    return (
        f"UPDATE {quote(ApiToken._meta.db_table)} SET {column} = %s "  # noqa: S608
        f"WHERE {quote(ApiToken._meta.pk.column)} = %s "
        f"AND ({column} IS NULL OR {column} <= %s)"
    )
