"""core.db.prepared_cursor: PostgreSQL plans the hot statements once per connection."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.services import api_token_create
from booking.api.authentication import _statement, token_lookup
from booking.models import Slot
from core.db import prepared_cursor, prepared_run


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.django_db
def test_the_token_lookup_is_prepared_once_and_reused(applicant):
    _token, key = api_token_create(user=applicant.user)

    for _ in range(3):
        assert token_lookup(key) is not None

    lookups = [s for s in _prepared() if 'FROM "accounts_apitoken"' in s]
    assert len(lookups) == 1


@pytest.mark.django_db
def test_a_prepared_query_is_logged_and_its_errors_are_djangos(db):
    from django.db import DataError

    with CaptureQueriesContext(connection) as captured, prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
    assert captured.captured_queries[-1]["sql"] == "SELECT %s::int + 1"

    with pytest.raises(DataError), prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int", ["not a number"])


@pytest.mark.django_db(transaction=True)  # closes the connection
def test_each_hot_statement_keeps_its_cursor_on_the_connection(applicant):
    _token, key = api_token_create(user=applicant.user)
    sql, _layout = _statement(connection.vendor)

    token_lookup(key)
    first = connection._guichet_cursors[1][sql]
    token_lookup(key)
    assert connection._guichet_cursors[1][sql] is first  # its loaders kept
    assert not first.closed

    connection.close()
    assert token_lookup(key) is not None  # a new connection, new cursors
    assert connection._guichet_cursors[1][sql] is not first


@pytest.mark.django_db
def test_a_hot_statement_is_logged_when_queries_are_and_its_errors_are_djangos(db):
    from django.db import DataError

    with CaptureQueriesContext(connection) as captured:
        assert prepared_run("SELECT %s::int + 1", [41]) == (42,)
    assert captured.captured_queries[-1]["sql"] == "SELECT %s::int + 1"

    assert not connection.queries_logged  # the kept cursor's path
    with pytest.raises(DataError), transaction.atomic():
        prepared_run("SELECT %s::int", ["not a number"])
    # Rolled back to the savepoint: the transaction and the cursor go on.
    assert prepared_run("SELECT %s::int", [7], fetch="all") == [(7,)]


# --- core.db.PreparedQuery: a queryset compiled once, run with each call's values -----


@pytest.mark.django_db
def test_a_prepared_query_answers_what_the_orm_answers_for_each_call(site, procedure):
    from datetime import UTC, datetime, timedelta

    from django.db.models import Value
    from django.utils import timezone

    from core.db import PreparedQuery
    from tests import factories

    other = factories.SiteFactory()
    now = timezone.now()
    for days in (1, 2, 3):
        factories.SlotFactory(site=site, procedure=procedure, starts_at=now + timedelta(days=days))
    factories.SlotFactory(site=other, procedure=procedure, starts_at=now + timedelta(days=1))
    query = PreparedQuery(
        lambda site_id, after, marker: (
            Slot.objects.filter(site_id=site_id, starts_at__gt=after)
            .annotate(marker=Value(marker))
            .values_list("pk", "marker")
            .order_by("pk")
        ),
        site_id=-910_000_001,
        after=datetime(1901, 1, 1, tzinfo=UTC),
        marker=-910_000_002,
    )

    for site_id, after, marker in [
        (site.pk, now, 7),
        (site.pk, now + timedelta(days=2, hours=1), 8),
        (other.pk, now, 9),
        (other.pk, now + timedelta(days=5), 10),
    ]:
        expected = (
            Slot.objects.filter(site_id=site_id, starts_at__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        row = query.run(site_id=site_id, after=after, marker=marker)
        assert row == (None if expected is None else (expected, marker))


def test_a_sentinel_the_query_does_not_carry_is_refused_before_anything_runs(db):
    from core.db import PreparedQuery

    query = PreparedQuery(
        lambda site_id: Slot.objects.filter(site_id=1).values_list("pk"), site_id=-910_000_003
    )

    with pytest.raises(ValueError, match="site_id"):
        query.run(site_id=4)
