"""The booking API's hot paths: what a release storm hits thousands of times.

Query counts, not timings (timings are for ``bench/``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from booking import statements
from booking.api import soldout
from booking.api.authentication import token_lookup
from booking.models import Appointment
from booking.services import appointment_book
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def _book(client, slot):
    return client.post(URL, {"slot": slot.pk}, format="json")


def test_token_lookup_loads_the_account_and_its_identity_in_one_query(
    applicant, django_assert_num_queries
):
    _token, key = api_token_create(user=applicant.user)

    with django_assert_num_queries(1):
        token, user = token_lookup(key)
        identity = user.applicant

    assert token.user_id == user.pk == applicant.user_id
    assert identity.pk == applicant.pk
    assert identity.user is user
    assert user.email == applicant.user.email


def test_token_lookup_knows_an_account_without_identity_has_none(agent, django_assert_num_queries):
    _token, key = api_token_create(user=agent)

    with django_assert_num_queries(1):
        _token, user = token_lookup(key)
        assert not hasattr(user, "applicant")


def test_token_lookup_of_an_unknown_key_is_none(db):
    assert token_lookup("no-such-key") is None


def test_a_full_slot_is_then_refused_without_touching_the_booking_tables(
    applicant_api, site, procedure, django_assert_num_queries
):
    full = factories.SlotFactory(site=site, procedure=procedure, capacity=1, booked=1)
    assert _book(applicant_api, full).json()["code"] == "slot_full"

    with django_assert_num_queries(1):  # the token
        response = _book(applicant_api, full)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"


def test_the_memory_of_a_full_slot_lasts_at_most_a_second(
    applicant_api, site, procedure, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(soldout, "monotonic", lambda: clock[0])
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=1, booked=1)
    assert _book(applicant_api, slot).status_code == 409
    type(slot).objects.filter(pk=slot.pk).update(booked=0)  # a seat freed elsewhere

    clock[0] += 0.5
    assert _book(applicant_api, slot).status_code == 409
    clock[0] += 0.6
    assert _book(applicant_api, slot).status_code == 201


def test_cancelling_forgets_the_slot_at_once(applicant, other_applicant, site, procedure):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    other_api = token_client(other_applicant.user)
    assert _book(other_api, slot).json()["code"] == "slot_full"

    token_client(applicant.user).post(f"{URL}{mine.reference}/cancel/")

    assert _book(other_api, slot).status_code == 201


# A booking's round trips: the token read with the slot, a block of appointment
# ids (one booking in ID_BLOCK draws it; the tests start without one, the worst
# case), the one booking statement; inside the test's transaction the statement
# is wrapped in a savepoint and its release (alone, in production, it is its own).
BOOKING_QUERIES = 5


@pytest.fixture
def no_id_block():
    statements._ids.clear()


def test_booking_renders_the_new_appointment_without_reading_it_again(
    applicant_api, slot, no_id_block, django_assert_num_queries
):
    # The token, then the booking service; nothing after it for the answer.
    with django_assert_num_queries(BOOKING_QUERIES) as captured:
        response = _book(applicant_api, slot)

    assert response.status_code == 201
    last = captured.captured_queries[-1]["sql"]
    assert last in ("COMMIT", "RELEASE SAVEPOINT") or last.startswith("RELEASE SAVEPOINT")


def test_a_free_slot_is_read_once_with_the_token_for_the_sold_out_check_and_the_booking(
    applicant_api, slot, no_id_block, django_assert_num_queries
):
    with django_assert_num_queries(BOOKING_QUERIES) as captured:
        response = _book(applicant_api, slot)

    assert response.status_code == 201
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and '"booking_slot" s' in q["sql"]
    ]
    assert len(reads) == 1, reads
    assert 'FROM "accounts_apitoken"' in reads[0]


def test_a_full_slot_is_refused_in_one_read_without_a_transaction(
    applicant_api, site, procedure, django_assert_num_queries
):
    full = factories.SlotFactory(site=site, procedure=procedure, capacity=1, booked=1)

    with django_assert_num_queries(1) as captured:  # the token with the slot's seats
        response = _book(applicant_api, full)

    assert response.json()["code"] == "slot_full"
    assert not any("SAVEPOINT" in q["sql"] for q in captured.captured_queries)


def test_a_full_slot_of_another_pool_is_not_called_full(applicant_api, site, procedure):
    full = factories.SlotFactory(
        site=site, procedure=procedure, pool="mediation", capacity=1, booked=1
    )

    assert _book(applicant_api, full).json()["code"] == "slot_not_found"
    assert _book(applicant_api, full).json()["code"] == "slot_not_found"


def test_a_full_unpublished_slot_is_not_called_full(applicant_api, site, procedure):
    full = factories.SlotFactory(
        site=site,
        procedure=procedure,
        capacity=1,
        booked=1,
        published_at=timezone.now() + timedelta(hours=1),
    )

    assert _book(applicant_api, full).json()["code"] == "slot_not_found"


# --- Availability cache ------------------------------------------------------------

AVAILABILITY = "/api/v1/availability/"


@pytest.fixture
def availability_cache(settings, monkeypatch):
    """The cache on (in-process here), with a clock the test moves."""
    from django.core.cache import cache
    from django.core.cache.backends import locmem

    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 1
    clock = [1_000_000.0]
    monkeypatch.setattr(locmem.time, "time", lambda: clock[0])
    cache.clear()
    yield clock
    cache.clear()


def test_availability_is_served_from_the_cache_within_the_second(
    applicant_api, slot, availability_cache, django_assert_num_queries
):
    first = applicant_api.get(AVAILABILITY, {"procedure": slot.procedure.slug})

    with django_assert_num_queries(1):  # the token only
        again = applicant_api.get(AVAILABILITY, {"procedure": slot.procedure.slug})

    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Content-Type"] == "application/json"


def test_a_slot_that_fills_disappears_within_a_second(applicant_api, slot, availability_cache):
    assert len(applicant_api.get(AVAILABILITY, {"procedure": slot.procedure.slug}).json()) == 1
    type(slot).objects.filter(pk=slot.pk).update(booked=slot.capacity)

    availability_cache[0] += 0.9
    assert len(applicant_api.get(AVAILABILITY, {"procedure": slot.procedure.slug}).json()) == 1
    availability_cache[0] += 0.2
    assert applicant_api.get(AVAILABILITY, {"procedure": slot.procedure.slug}).json() == []


def test_the_cache_lifetime_is_capped_at_one_second(settings):
    from booking import availability_cache as cache

    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 30

    assert cache.lifetime() == 1.0


def test_errors_are_not_cached(applicant_api, slot, availability_cache):
    assert applicant_api.get(AVAILABILITY, {"procedure": "nope"}).status_code == 400
    assert applicant_api.get(AVAILABILITY, {"procedure": "nope"}).json()["code"] == "invalid"


def test_the_cache_keeps_each_callers_pools_apart(
    applicant_api, agent_api, site, procedure, availability_cache
):
    factories.SlotFactory(site=site, procedure=procedure, pool="public")
    factories.SlotFactory(site=site, procedure=procedure, pool="priority")

    assert len(applicant_api.get(AVAILABILITY, {"procedure": procedure.slug}).json()) == 1
    assert len(agent_api.get(AVAILABILITY, {"procedure": procedure.slug}).json()) == 2


def test_availability_times_are_written_as_the_serializer_writes_them():
    """One formatter per answer remembers what it wrote: the same instant (in
    any time zone) gets the same text, different ones their own."""
    from datetime import UTC, datetime, timedelta
    from datetime import timezone as fixed

    from rest_framework import serializers

    from booking.api.views import _local_iso

    winter = datetime(2027, 1, 15, 8, 30, tzinfo=UTC)
    summer = datetime(2027, 7, 15, 8, 30, tzinfo=UTC)
    # The night the clocks go back: 02:30 local happens twice, an hour apart.
    first, second = (
        datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
        datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
    )
    values = [winter, summer, winter, winter.astimezone(fixed(timedelta(hours=5))), first, second]
    iso = _local_iso(timezone.get_current_timezone())

    written = [iso(value) for value in values]

    assert written == [serializers.DateTimeField().to_representation(v) for v in values]
    assert written[0] == written[2] == written[3] != written[1]
    assert written[4] != written[5]


def test_availability_is_written_byte_for_byte_as_drfs_renderer_writes_it():
    from datetime import UTC, datetime, timedelta

    from rest_framework.renderers import JSONRenderer

    from booking.api.views import _availability_json, _local_iso

    tz = timezone.get_current_timezone()
    start = datetime(2027, 3, 28, 0, 0, tzinfo=UTC)  # across the change to summer time
    rows = [
        (
            10 + n,
            site,
            start + timedelta(minutes=30 * n),
            start + timedelta(minutes=30 * n + 30),
            3,
            n % 3,
            1 if n % 3 < 2 else 0,  # held: offered to the waiting list, not free
        )
        for n in range(8)
        for site in ("bobigny", "saint-denis")
    ]
    iso = _local_iso(tz)
    dicts = [
        {
            "slot": pk,
            "site": site,
            "procedure": "titre-de-sejour",
            "starts_at": iso(starts_at),
            "ends_at": iso(ends_at),
            "remaining": capacity - booked - held,
        }
        for pk, site, starts_at, ends_at, capacity, booked, held in rows
    ]

    assert _availability_json(rows, "titre-de-sejour", tz) == JSONRenderer().render(dicts)
    assert _availability_json([], "titre-de-sejour", tz) == JSONRenderer().render([]) == b"[]"


# --- Query counts of the reads -------------------------------------------------------


@pytest.fixture
def busy_world(applicant, site, procedure):
    """Several sites, procedures, slots and appointments: enough rows for an N+1
    to show."""
    other_site = factories.SiteFactory()
    for place in (site, other_site):
        factories.SlotFactory.create_batch(4, site=place, procedure=procedure)
    for _ in range(4):
        slot = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    return applicant.appointments.first()


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/api/v1/sites/", 2),  # token, sites
        ("/api/v1/procedures/", 2),  # token, procedures
        ("/api/v1/availability/?procedure={procedure}", 3),  # token, procedure, slots
        ("/api/v1/availability/?procedure={procedure}&site={site}", 4),  # and the sites
        ("/api/v1/appointments/", 2),  # token, appointments
        ("/api/v1/appointments/{reference}/", 2),  # token, the appointment
    ],
)
def test_reads_take_a_bounded_number_of_queries(
    applicant_api, busy_world, procedure, site, path, queries, django_assert_max_num_queries
):
    url = path.format(procedure=procedure.slug, site=site.slug, reference=busy_world.reference)

    with django_assert_max_num_queries(queries):
        response = applicant_api.get(url)

    assert response.status_code == 200


def test_a_booking_with_an_unknown_token_is_refused_from_its_one_read(
    slot, django_assert_num_queries
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token-of-ours")

    with django_assert_num_queries(1):  # the token with the slot: no second lookup
        response = _book(client, slot)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "joined"),
    [
        ('{"slot": %s}', 201, True),
        ('{"slot": "%s"}', 201, False),  # the serializer coerces it
        ('{"slot": 999999, "slot": %s}', 201, True),  # the last one, as DRF reads it
        ("[%s]", 400, False),
        ('{"slot": %s', 400, False),  # not JSON: parse_error
    ],
)
def test_the_booking_read_with_the_token_agrees_with_drf_on_the_body(
    applicant_api, slot, body, status, joined
):
    with CaptureQueriesContext(connection) as captured:
        response = applicant_api.post(
            URL, body.replace("%s", str(slot.pk)), content_type="application/json"
        )

    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["slot"]["id"] == slot.pk
    token_reads = [q["sql"] for q in captured if 'FROM "accounts_apitoken"' in q["sql"]]
    assert len(token_reads) == 1
    assert ('"booking_slot" s' in token_reads[0]) is joined
