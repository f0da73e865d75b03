"""``Authorization: Token <key>`` for the API.

Every API request of a token client starts here, so the lookup is one
precompiled SQL statement: the token, its account and the account's identity
(the booking views need all three). Building that query through the ORM cost
more than a millisecond of CPU per request, as much as the rest of a refused
booking; the statement is built once per process from the models' metadata
and the rows become model instances as the ORM would make them.

A view may read what it needs next in the same statement (``Joined``: the
booking view reads the slot asked for): ``token_lookup_joined`` before DRF
authenticates, ``token_prefetched`` to hand the result to this class, which
then makes no query of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.db import connection
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, User
from booking.models import Applicant
from core.db import prepared_run

# ``last_used_at`` is written at most this often per token: one conditional
# UPDATE every few minutes, not a write per request.
LAST_USED_PRECISION = timedelta(minutes=5)

_MODELS: tuple[tuple[type[Model], str], ...] = (
    (ApiToken, "t"),
    (User, "u"),
    (Applicant, "a"),
)


@dataclass(frozen=True)
class Joined:
    """Another read made in the token lookup's statement: its columns (after
    the token's, account's and identity's) and its ``LEFT JOIN`` clauses, with
    aliases other than ``t``, ``u`` and ``a``; their ``%s`` parameters come
    before the token's digest."""

    columns: str
    joins: str


@cache
def _statement(
    vendor: str, joined: Joined | None = None
) -> tuple[str, list[tuple[type[Model], list, list]]]:
    """The SQL, and per model its fields with their database converters."""
    quote = connection.ops.quote_name
    columns: list[str] = []
    layout = []
    for model, alias in _MODELS:
        fields = list(model._meta.concrete_fields)
        converters = []
        for field in fields:
            col = field.get_col(alias)
            converters.append(
                connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            )
            columns.append(f"{alias}.{quote(field.column)}")
        layout.append((model, fields, converters))
    token_user = ApiToken._meta.get_field("user").column
    applicant_user = Applicant._meta.get_field("user").column
    if joined is not None:
        columns.append(joined.columns)
    # Identifiers come from the models' metadata, quoted; the digest is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} "  # noqa: S608
        f"FROM {quote(ApiToken._meta.db_table)} t "
        f"JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote(token_user)} "
        f"LEFT JOIN {quote(Applicant._meta.db_table)} a "
        f"ON a.{quote(applicant_user)} = u.{quote('id')} "
        f"{joined.joins + ' ' if joined is not None else ''}"
        f"WHERE t.{quote('digest')} = %s"
    )
    return sql, layout


def _instances(row: tuple, layout: list) -> list[Model | None]:
    made: list[Model | None] = []
    position = 0
    for model, fields, converters in layout:
        values = []
        for field, field_converters in zip(fields, converters, strict=True):
            value = row[position]
            position += 1
            for converter in field_converters:
                value = converter(value, field.get_col(model._meta.db_table), connection)
            values.append(value)
        if values[0] is None:  # no identity on file (LEFT JOIN)
            made.append(None)
            continue
        made.append(model.from_db(connection.alias, [f.attname for f in fields], values))
    return made


def token_lookup(key: str) -> tuple[ApiToken, User] | None:
    """The token of ``key`` with its account, whose ``applicant`` is already
    loaded (or known to be missing), or ``None``."""
    return token_lookup_joined(key, None, ())[0]


def token_lookup_joined(
    key: str, joined: Joined | None, params: tuple
) -> tuple[tuple[ApiToken, User] | None, tuple]:
    """``token_lookup(key)``, and the columns of ``joined`` (empty when there
    is no such token), in one statement."""
    sql, layout = _statement(connection.vendor, joined)
    row = prepared_run(sql, [*params, ApiToken.digest_of(key)])
    if row is None:
        return None, ()
    token, user, applicant = _instances(row, layout)
    User.applicant.related.set_cached_value(user, applicant)
    if applicant is not None:
        Applicant.user.field.set_cached_value(applicant, user)
    ApiToken.user.field.set_cached_value(token, user)
    width = sum(len(fields) for _model, fields, _converters in layout)
    return (token, user), row[width:]


def token_prefetched(request: HttpRequest, key: str, found: tuple[ApiToken, User] | None) -> None:
    """Hand ``HashedTokenAuthentication`` the lookup of ``key`` made for this
    request (by ``token_lookup_joined``): it then makes none."""
    request._guichet_token = (key, found)


def _prefetched(request: HttpRequest | None, key: str):
    kept = getattr(request, "_guichet_token", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    return token_lookup(key)


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, looked up by the key's SHA-256 digest."""

    keyword = "Token"

    def authenticate(self, request):
        self._request = request._request  # Django's: where token_prefetched keeps its lookup
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):
        found = _prefetched(getattr(self, "_request", None), key)
        if found is None or found[0].expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        token_used(token)
        return user, token


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
