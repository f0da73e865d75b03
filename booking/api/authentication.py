"""``Authorization: Token <key>`` for the API.

Every API request of a token client starts here, so the lookup is one
precompiled SQL statement: the token, its account and the account's identity
(the booking views need all three). Building that query through the ORM cost
more than a millisecond of CPU per request, as much as the rest of a refused
booking; the statement is built once per process from the models' metadata
and the row becomes model instances as the ORM would make them
(``core.db.JoinedRow``).

A view may read what it needs next in the same statement (``Joined``: the
booking view reads the slot asked for, ``booking.api.hotpath``):
``token_lookup_joined`` before DRF authenticates, ``token_prefetched`` to hand
the result to this class, which then makes no query of its own. Here, not in
accounts, because the lookup hydrates the account's ``Applicant``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.authentication import token_used
from accounts.models import ApiToken, User
from booking.models import Applicant
from core.db import JoinedRow, prepared_run


@dataclass(frozen=True)
class Joined:
    """Another read made in the token lookup's statement: its columns (after
    the token's, account's and identity's) and its ``LEFT JOIN`` clauses, with
    aliases other than ``t``, ``u`` and ``a``; their ``%s`` parameters come
    before the token's digest."""

    columns: str
    joins: str


@cache
def _row() -> JoinedRow:
    return JoinedRow(((ApiToken, "t"), (User, "u"), (Applicant, "a")))


@cache
def _statement(vendor: str, joined: Joined | None = None) -> tuple[str, JoinedRow]:
    """The SQL, and how to read its row."""
    quote = connection.ops.quote_name
    row = _row()
    columns = row.columns if joined is None else f"{row.columns}, {joined.columns}"
    token_user = ApiToken._meta.get_field("user").column
    applicant_user = Applicant._meta.get_field("user").column
    # Identifiers come from the models' metadata, quoted; the digest is a parameter.
    sql = (
        f"SELECT {columns} "  # noqa: S608
        f"FROM {quote(ApiToken._meta.db_table)} t "
        f"JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote(token_user)} "
        f"LEFT JOIN {quote(Applicant._meta.db_table)} a "
        f"ON a.{quote(applicant_user)} = u.{quote('id')} "
        f"{joined.joins + ' ' if joined is not None else ''}"
        f"WHERE t.{quote('digest')} = %s"
    )
    return sql, row


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
    token, user, applicant = layout.instances(row)
    User.applicant.related.set_cached_value(user, applicant)
    if applicant is not None:
        Applicant.user.field.set_cached_value(applicant, user)
    ApiToken.user.field.set_cached_value(token, user)
    return (token, user), row[layout.width :]


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
