"""core.db.utc_timestamps_in_c: timestamps come back as Django's own loader
gives them (aware, ``datetime.timezone.utc``), parsed by psycopg in C."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from core.db import _PSYCOPG_TIMESTAMPTZ, _UtcTimestamptzLoader

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
LITERALS = [
    "2026-12-01 23:38:39.514847+00",
    "2026-03-29 02:30:00+02",  # Paris, the night the clocks change
    "2026-10-25 02:30:00+01",
    "1999-12-31 23:59:59.999999-11",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2026-06-01 12:00:00+05:45",
]


def _read(literals: list[str], *, djangos: bool = False) -> list[datetime.datetime]:
    sql = "SELECT " + ", ".join(["%s::timestamptz"] * len(literals))
    with connection.cursor() as cursor:
        if djangos:
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(sql, literals)
        return list(cursor.fetchone())


def test_the_connection_reads_timestamps_with_psycopgs_loader():
    with connection.cursor() as cursor:
        loader_class = cursor.connection.adapters.get_loader(
            cursor.connection.adapters.types["timestamptz"].oid, Format.TEXT
        )
        cursor.execute("SELECT now()")
        loader = cursor.cursor._tx.get_loader(1184, Format.TEXT)

    assert loader_class is _UtcTimestamptzLoader
    # The method of psycopg's loader itself: no Python frame of ours per value.
    assert type(loader.load.__self__) is _PSYCOPG_TIMESTAMPTZ


def test_timestamps_are_the_values_djangos_own_loader_gives():
    ours = _read(LITERALS)
    djangos = _read(LITERALS, djangos=True)

    assert ours == djangos
    assert all(value.tzinfo is UTC for value in ours + djangos)
    assert ours[1] == datetime.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert ours[0].microsecond == 514847


def test_the_orm_reads_back_what_it_wrote_to_the_microsecond(applicant):
    from accounts.models import ApiToken
    from accounts.services import api_token_create

    token, _key = api_token_create(user=applicant.user)
    when = datetime.datetime(2026, 10, 25, 0, 59, 59, 999999, tzinfo=UTC)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=when)

    read = ApiToken.objects.get(pk=token.pk).last_used_at

    assert read == when
    assert read.tzinfo is UTC


def test_a_session_in_another_time_zone_still_gets_the_same_instants_in_utc():
    """Django keeps the session in UTC; if something changed it, the values
    are converted, not relabelled (Django's loader would shift them)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Pacific/Chatham'")  # +13:45 in December

    # Not year 9999: at +13:45 it would be past what a datetime holds.
    literals = [text for text in LITERALS if not text.startswith("9999")]

    ours = _read(literals)

    assert ours == [datetime.datetime.fromisoformat(_iso(text)) for text in literals]
    assert all(value.tzinfo is UTC for value in ours)


def _iso(literal: str) -> str:
    day, clock = literal.split(" ")
    for sign in "+-":
        if sign in clock:
            time_part, offset = clock.rsplit(sign, 1)
            offset = offset if ":" in offset else f"{offset}:00"
            return f"{day}T{time_part}{sign}{offset}"
    raise ValueError(literal)
