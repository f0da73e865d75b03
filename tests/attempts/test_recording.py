"""Searches that found nothing are recorded per person, deduplicated, cheaply;
a search that found something, or an anonymous one, records nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attempts.models import AttemptRecord, FailedSearch
from attempts.services import attempts_purge, failed_search_record, record_issue
from booking.signals import availability_found_nothing
from privacy.services import account_erase
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db


def _rows(applicant):
    return list(
        FailedSearch.objects.filter(applicant=applicant)
        .order_by("pk")
        .values_list("procedure__slug", "site__slug", "searches", "mediated")
    )


# --- The pages -----------------------------------------------------------------------------


def test_sites_page_with_nothing_free_records_a_search_at_every_place(logged_in, applicant):
    procedure = factories.ProcedureFactory()

    page = logged_in.get(reverse("booking:sites", args=[procedure.slug]))

    assert page.status_code == 200
    assert _rows(applicant) == [(procedure.slug, None, 1, False)]


def test_days_page_with_nothing_at_the_site_records_it(logged_in, applicant, site):
    procedure = factories.ProcedureFactory()
    factories.SlotFactory(procedure=procedure)  # elsewhere

    logged_in.get(reverse("booking:days", args=[procedure.slug, site.slug]))

    assert _rows(applicant) == [(procedure.slug, site.slug, 1, False)]


def test_times_page_of_a_day_with_nothing_records_it(logged_in, applicant, site):
    procedure = factories.ProcedureFactory()
    day = timezone.localdate() + timedelta(days=2)
    url = reverse("booking:times", args=[procedure.slug, site.slug])

    logged_in.get(url, {"date": day.isoformat()})

    assert _rows(applicant) == [(procedure.slug, site.slug, 1, False)]


def test_pages_that_found_something_record_nothing(logged_in, applicant, slot):
    logged_in.get(reverse("booking:sites", args=[slot.procedure.slug]))
    logged_in.get(reverse("booking:days", args=[slot.procedure.slug, slot.site.slug]))
    logged_in.get(
        reverse("booking:times", args=[slot.procedure.slug, slot.site.slug]),
        {"date": timezone.localdate(slot.starts_at).isoformat()},
    )

    assert _rows(applicant) == []


def test_an_account_without_identity_records_nothing(web):
    user = factories.UserFactory()
    web.force_login(user)
    procedure = factories.ProcedureFactory()

    web.get(reverse("booking:sites", args=[procedure.slug]))

    assert FailedSearch.objects.count() == 0


# --- The API -------------------------------------------------------------------------------


def test_api_empty_answer_records_the_sites_asked(applicant, site):
    api = token_client(applicant.user)
    procedure = factories.ProcedureFactory()
    other = factories.SiteFactory()

    answer = api.get(
        reverse("api:availability"),
        {"procedure": procedure.slug, "site": [site.slug, other.slug]},
    )

    assert answer.status_code == 200 and answer.json() == []
    assert sorted(_rows(applicant), key=str) == sorted(
        [(procedure.slug, site.slug, 1, False), (procedure.slug, other.slug, 1, False)], key=str
    )


def test_api_answer_with_slots_records_nothing_and_costs_no_query(applicant, slot):
    api = token_client(applicant.user)
    params = {"procedure": slot.procedure.slug}
    api.get(reverse("api:availability"), params)  # now cached

    with CaptureQueriesContext(connection) as queries:
        answer = api.get(reverse("api:availability"), params)

    assert answer.json()
    assert not any("attempts_" in query["sql"] for query in queries.captured_queries)
    assert FailedSearch.objects.count() == 0


def test_api_empty_answer_adds_one_statement_at_most_then_none_within_the_gap(applicant):
    api = token_client(applicant.user)
    procedure = factories.ProcedureFactory()
    params = {"procedure": procedure.slug}

    with CaptureQueriesContext(connection) as first:
        api.get(reverse("api:availability"), params)
    with CaptureQueriesContext(connection) as storm:
        for _ in range(30):
            api.get(reverse("api:availability"), params)

    writes = [q for q in first.captured_queries if "attempts_failedsearch" in q["sql"]]
    assert len(writes) == 1
    assert not any("attempts_" in q["sql"] for q in storm.captured_queries)
    assert _rows(applicant) == [(procedure.slug, None, 1, False)]


def test_staff_and_anonymous_searches_record_nothing(agent, client):
    procedure = factories.ProcedureFactory()
    params = {"procedure": procedure.slug}

    token_client(agent).get(reverse("api:availability"), params)
    client.get(reverse("api:availability"), params)
    availability_found_nothing.send(
        sender=None, user=None, procedure=procedure.slug, sites=(), now=timezone.now()
    )

    assert FailedSearch.objects.count() == 0


# --- Deduplication -------------------------------------------------------------------------


def test_one_row_per_hour_counted_and_repeats_within_the_gap_count_once(applicant, procedure):
    at = datetime(2026, 11, 2, 9, 10, tzinfo=UTC)
    user = applicant.user

    for minutes in (0, 0, 0, 5, 20, 70):
        failed_search_record(
            user=user, procedure=procedure.slug, sites=(), now=at + timedelta(minutes=minutes)
        )

    rows = FailedSearch.objects.filter(applicant=applicant).order_by("hour")
    assert [(row.hour.hour, row.searches) for row in rows] == [(9, 3), (10, 1)]
    assert rows[0].first_at == at and rows[0].last_at == at + timedelta(minutes=20)


def test_a_mediators_search_for_a_person_is_recorded_as_mediated(mediator, procedure, site):
    walk_in = factories.ApplicantFactory(user=None)

    availability_found_nothing.send(
        sender=None,
        user=mediator,
        applicant=walk_in,
        procedure=procedure.slug,
        sites=(site.slug,),
        now=timezone.now(),
    )

    assert _rows(walk_in) == [(procedure.slug, site.slug, 1, True)]


def test_unknown_slugs_record_nothing(applicant):
    assert not failed_search_record(
        user=applicant.user, procedure="no-such-procedure", sites=(), now=timezone.now()
    )
    assert FailedSearch.objects.count() == 0


# --- Retention -----------------------------------------------------------------------------


@override_settings(RETENTION_MONTHS=6)
def test_purge_deletes_searches_and_records_past_retention(applicant, procedure):
    now = timezone.now()
    for days in (200, 10):
        failed_search_record(
            user=applicant.user, procedure=procedure.slug, sites=(), now=now - timedelta(days=days)
        )
    record_issue(actor=applicant.user, applicant=applicant, now=now - timedelta(days=200))
    record_issue(actor=applicant.user, applicant=applicant, now=now - timedelta(days=10))

    purged = attempts_purge(now=now)

    assert (purged.searches_deleted, purged.records_deleted) == (1, 1)
    assert FailedSearch.objects.count() == 1
    assert AttemptRecord.objects.count() == 1


def test_an_erased_account_takes_its_attempts_along(applicant, procedure, slot):
    from booking.services import appointment_book

    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    failed_search_record(
        user=applicant.user, procedure=procedure.slug, sites=(), now=timezone.now()
    )
    record_issue(actor=applicant.user, applicant=applicant)

    account_erase(user=applicant.user)

    assert FailedSearch.objects.count() == 0
    assert AttemptRecord.objects.count() == 0
