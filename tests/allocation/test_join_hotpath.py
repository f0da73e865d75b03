"""A join is two statements: the token read with the procedure and the sites
asked for (``allocation.api.hotpath``), then one statement that reads the
person's standing, locks the acting account and writes the entry with its
audit row (``allocation.statements.entry_join``). What it decides is what the
rules decide: the allocation mode (``booking.rules.allocation_mode_sql``
against ``allocation_mode``), the priority class (court order, closure's
right, permit), the refusals. The bodies it reads, and those it leaves to
the serializer: ``test_join_bodies.py``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import hypothesis
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import strategies as st

from allocation.api.serializers import (
    EntrySerializer,
    joined_data,
)
from allocation.models import EntryStatus, Offer, OfferStatus, PriorityClass, WaitlistEntry
from allocation.selectors import EntryView
from allocation.services import waitlist_join
from audit.models import AuditAction, AuditEvent
from booking.models import (
    AllocationMode,
    AllocationPolicy,
    BlockReason,
    BookingBlock,
    Procedure,
)
from booking.rules import allocation_mode, allocation_mode_sql
from tests import factories
from tests.allocation.conftest import person, queue_slot
from tests.helpers.api_clients import token_client
from tests.helpers.injunctions import record
from tests.helpers.joins import WAITLIST
from tests.helpers.joins import join_by_api as _join

pytestmark = pytest.mark.django_db


def _joined_event(entry) -> AuditEvent:
    return AuditEvent.objects.get(action=AuditAction.WAITLIST_JOINED, details__entry=entry.pk)


# --- Two statements ---------------------------------------------------------------------


def test_an_applicants_join_by_token_is_two_statements(api, procedure, site):
    # Someone joined within the second: whether a seat waits is not asked again.
    assert _join(token_client(person().user), procedure, site).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = _join(api, procedure, site)

    assert response.status_code == 201, response.content
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 2, statements
    # The token, its account and identity, with the procedure and the sites asked for.
    assert '"booking_procedure" p' in statements[0]
    assert '"booking_site" st' in statements[0]
    # The standing and the two rows, in one statement.
    assert statements[1].startswith("WITH standing AS MATERIALIZED")
    assert '"booking_slot"' not in statements[1]  # the list's capacity: not read per join
    entry = WaitlistEntry.objects.get(pk=response.json()["id"])
    assert entry.site_ids == [site.pk]
    assert response["Location"].endswith(f"{WAITLIST}{entry.pk}/")
    assert _joined_event(entry).details["priority_class"] == PriorityClass.NONE


@hypothesis.settings(
    max_examples=60, deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
@hypothesis.given(
    joined_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Europe/Paris", "UTC", "America/Cayenne", "Indian/Reunion"]),
    permit=st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1))),
    days=st.lists(st.integers(1, 7), max_size=6, unique=True),
    site_count=st.integers(1, 3),
    status=st.sampled_from(EntryStatus.values),
)
def test_the_201_is_what_the_serializer_renders(joined_at, zone, permit, days, site_count, status):
    """``joined_data`` writes what ``EntrySerializer`` writes of a new entry,
    whatever the moment (summer and winter time, the night the clocks go back),
    the time zone in force, the permit's date, the days and the sites."""
    entry = WaitlistEntry(
        pk=42,
        procedure=Procedure(slug="premiere-demande"),
        site_ids=[10 + n for n in range(site_count)],
        weekdays_excluded=days,
        permit_expires_on=permit,
        joined_at=joined_at,
        status=status,
    )
    sites = {10: "bobigny", 11: "saint-denis"}  # the third id unnamed
    view = EntryView(entry=entry, position=None, weeks_estimate=None, offer=None)

    with timezone.override(zone):
        assert joined_data(entry, sites) == EntrySerializer(view, context={"sites": sites}).data
        assert json.dumps(joined_data(entry, sites)) == json.dumps(
            EntrySerializer(view, context={"sites": sites}).data
        )


@pytest.mark.parametrize("script_prefix", ["/", "/guichet/"])
@pytest.mark.parametrize("pk", [1, 7, 918_273_645, 2**63 - 1])
def test_the_location_is_what_reverse_gives(script_prefix, pk):
    from django.urls import reverse, set_script_prefix

    from allocation.api.views.waitlist import entry_address

    set_script_prefix(script_prefix)
    try:
        assert entry_address(pk) == reverse("api:waitlist-entry", args=[pk])
        assert entry_address(pk).startswith(script_prefix)
    finally:
        set_script_prefix("/")


# --- The mode, as the rulebook decides it ----------------------------------------------


def _mode_in_sql(procedure, site) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {allocation_mode_sql(str(procedure.pk), str(site.pk))}")
        return cursor.fetchone()[0]


def test_the_mode_in_sql_is_the_rulebooks_for_every_kind_of_policy():
    site, other = factories.SiteFactory(), factories.SiteFactory()
    none = factories.ProcedureFactory()
    queued = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=queued, mode=AllocationMode.QUEUE)
    # The procedure queued, one site open.
    mixed = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=mixed, mode=AllocationMode.QUEUE)
    AllocationPolicy.objects.create(procedure=mixed, site=other, mode=AllocationMode.OPEN)
    # The procedure open by default, one site queued.
    one_site = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=one_site, site=other, mode=AllocationMode.QUEUE)

    found = {
        (procedure.pk, where.pk): _mode_in_sql(procedure, where)
        for procedure in (none, queued, mixed, one_site)
        for where in (site, other)
    }

    assert found == {key: allocation_mode(*key) for key in found}
    assert set(found.values()) == {AllocationMode.OPEN, AllocationMode.QUEUE}


def test_sites_whose_capacity_is_not_given_out_by_the_list_are_left_out(api, procedure, site):
    open_site = factories.SiteFactory()
    AllocationPolicy.objects.create(procedure=procedure, site=open_site, mode=AllocationMode.OPEN)

    both = _join(api, procedure, site, open_site)
    assert both.status_code == 201, both.content
    assert both.json()["sites"] == [site.slug]
    WaitlistEntry.objects.all().delete()

    only_open = _join(api, procedure, open_site)
    assert only_open.status_code == 409
    assert only_open.json()["code"] == "not_given_out_by_list"
    assert not WaitlistEntry.objects.exists()


# --- What the statement decides -----------------------------------------------------------


def test_a_person_with_a_court_order_joins_ahead(api, applicant, procedure, site):
    agent = factories.AgentFactory(sites=[site])
    record(agent, applicant, procedure, site)

    response = _join(api, procedure, site)

    assert response.status_code == 201, response.content
    entry = WaitlistEntry.objects.get(pk=response.json()["id"])
    assert entry.priority_class == PriorityClass.COURT_ORDER
    assert _joined_event(entry).details["priority_class"] == PriorityClass.COURT_ORDER


def test_a_person_holding_a_closures_right_joins_after_court_orders(
    api, applicant, procedure, site
):
    factories.PriorityRightFactory(applicant=applicant, procedure=procedure)

    response = _join(api, procedure, site)

    entry = WaitlistEntry.objects.get(pk=response.json()["id"])
    assert entry.priority_class == PriorityClass.CANCELLED_BY_PREFECTURE
    assert _joined_event(entry).details["priority_class"] == PriorityClass.CANCELLED_BY_PREFECTURE


def test_an_expired_or_used_right_gives_no_class(api, applicant, procedure, site):
    factories.PriorityRightFactory(
        applicant=applicant, procedure=procedure, valid_until=timezone.now() - timedelta(hours=1)
    )
    factories.PriorityRightFactory(applicant=applicant, procedure=procedure, used_at=timezone.now())

    response = _join(api, procedure, site)

    assert WaitlistEntry.objects.get(pk=response.json()["id"]).priority_class == PriorityClass.NONE


def test_a_permit_expiring_soon_counts_below_a_court_order(applicant, procedure, site):
    agent = factories.AgentFactory(sites=[site])
    soon = timezone.localdate() + timedelta(days=10)
    renewal = person()

    expiring = waitlist_join(
        actor=agent,
        applicant=renewal,
        procedure=procedure,
        site_ids=[site.pk],
        permit_expires_on=soon,
    )
    record(agent, applicant, procedure, site)
    ordered = waitlist_join(
        actor=agent,
        applicant=applicant,
        procedure=procedure,
        site_ids=[site.pk],
        permit_expires_on=soon,
    )

    assert expiring.priority_class == PriorityClass.PERMIT_EXPIRING
    assert ordered.priority_class == PriorityClass.COURT_ORDER
    assert _joined_event(expiring).details["priority_class"] == PriorityClass.PERMIT_EXPIRING
    assert WaitlistEntry.objects.get(pk=ordered.pk).priority_class == PriorityClass.COURT_ORDER


def test_a_block_refuses_the_join_and_writes_nothing(api, applicant, procedure, site):
    BookingBlock.objects.create(
        applicant=applicant,
        procedure=procedure,
        reason=BlockReason.CANCELLED,
        until=timezone.now() + timedelta(hours=2),
    )

    response = _join(api, procedure, site)

    assert response.status_code == 403
    assert response.json()["code"] == "cancel_cooling"
    assert not WaitlistEntry.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.WAITLIST_JOINED).exists()


def test_a_second_join_writes_neither_entry_nor_audit_row(api, procedure, site):
    assert _join(api, procedure, site).status_code == 201

    again = _join(api, procedure, site)

    assert again.status_code == 409
    assert again.json()["code"] == "already_waiting"
    assert WaitlistEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.WAITLIST_JOINED).count() == 1


# --- Outside any transaction, as a request is -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_joins_outside_a_transaction_by_the_person_and_by_a_mediator(procedure, site):
    """The tests' own transaction hides what a request meets: the person's join
    is one statement of its own; a mediator's reads (and locks) the consent in
    a transaction that lasts until the entry is written."""
    point = factories.AccessPointFactory()
    mediator = factories.MediatorFactory(access_point=point)
    walk_in = factories.ApplicantFactory(user=None, access_point=point)
    factories.ConsentFactory(applicant=walk_in, mediator=mediator, purposes=["waiting_list"])
    applicant = person()

    own = waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk]
    )
    for_them = waitlist_join(
        actor=mediator, applicant=walk_in, procedure=procedure, site_ids=[site.pk]
    )

    assert WaitlistEntry.objects.get(pk=own.pk).applicant_id == applicant.pk
    entry = WaitlistEntry.objects.get(pk=for_them.pk)
    assert (entry.applicant_id, entry.access_point_id) == (walk_in.pk, point.pk)
    event = _joined_event(entry)
    assert event.details["access_point"] == point.pk


# --- Planned once ------------------------------------------------------------------------


def test_the_joins_statements_keep_a_generic_plan(api, procedure, site):
    """PostgreSQL plans a prepared statement for its values five times, then
    keeps a generic plan if it costs no more. The read of the sites asked for
    was an array parameter, which it costed as every site: the generic plan
    looked dearer and it planned the read again at each join, a third of the
    join's CPU in PostgreSQL. Both statements must end on a generic plan."""
    for _ in range(8):  # the first 201, then refused already_waiting: both statements run
        assert _join(api, procedure, site).status_code in (201, 409)

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        plans = {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}
    read = [plan for statement, plan in plans.items() if '"booking_site" st' in statement]
    write = [plan for statement, plan in plans.items() if statement.startswith("WITH standing")]
    assert len(read) == 1 and len(write) == 1, plans
    for generic, custom in (*read, *write):
        assert custom <= 5 and generic >= 3, plans


# --- A seat waiting when someone joins --------------------------------------------------


def _seats_asked(queries) -> int:
    return sum('FROM "booking_slot"' in query["sql"] for query in queries.captured_queries)


def test_a_seat_waiting_is_offered_to_whoever_joins(
    api, applicant, procedure, site, django_capture_on_commit_callbacks
):
    # A seat of the list nobody was there to take.
    queue_slot(site, procedure)

    with django_capture_on_commit_callbacks(execute=True):
        assert _join(api, procedure, site).status_code == 201

    [offer] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert offer.applicant_id == applicant.pk


def test_joins_ask_whether_seats_wait_at_most_once_a_second_per_procedure(
    procedure, site, settings
):
    other = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=other, mode=AllocationMode.QUEUE)
    joins = [token_client(person().user) for _ in range(4)]

    with CaptureQueriesContext(connection) as first:
        assert _join(joins[0], procedure, site).status_code == 201
    with CaptureQueriesContext(connection) as second:
        assert _join(joins[1], procedure, site).status_code == 201
    with CaptureQueriesContext(connection) as elsewhere:
        assert _join(joins[2], other, site).status_code == 201
    settings.WAITLIST_JOIN_SEATS_CHECK_SECONDS = 0  # asked at every join
    with CaptureQueriesContext(connection) as every:
        assert _join(joins[3], procedure, site).status_code == 201

    assert (_seats_asked(first), _seats_asked(second)) == (1, 0)
    assert _seats_asked(elsewhere) == 1
    assert _seats_asked(every) == 1
