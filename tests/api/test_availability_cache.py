"""booking.availability_cache with a shared cache: an availability answer is
kept while no capacity changes, for the long lifetime at most; every change
(through the services or a save) makes it out of date, and so does time (a
slot published later, the cut-off, the horizon). Whatever changed, an answer
is served for a second after it was computed, and never longer. A process
writes a procedure's mark once a second at most, and the changes it makes
meanwhile still make answers out of date."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from booking import availability_cache, services
from booking.models import Horizon, Slot
from tests import factories
from tests.helpers.redis import require_redis

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability/"
APPOINTMENTS = "/api/v1/appointments/"


class Clock:
    """One clock for Django's ``timezone.now``, the in-process cache's expiry
    and the availability cache; it moves only when the test says."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


@pytest.fixture
def clock(settings, monkeypatch) -> Clock:
    from django.core.cache.backends import locmem

    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 1
    settings.GUICHET_AVAILABILITY_CACHE_LONG_SECONDS = 30
    clock = Clock()
    monkeypatch.setattr(availability_cache, "shared", lambda: True)
    monkeypatch.setattr(availability_cache, "_clock", lambda: clock.now)
    monkeypatch.setattr(locmem.time, "time", lambda: clock.now)
    monkeypatch.setattr(timezone, "now", clock.datetime)
    monkeypatch.setattr(availability_cache, "_marked", {})
    cache.clear()
    yield clock
    cache.clear()


def _remaining(client, procedure) -> dict[int, int]:
    response = client.get(URL, {"procedure": procedure.slug})
    assert response.status_code == 200
    return {row["slot"]: row["remaining"] for row in response.json()}


def _settled(client, procedure, clock) -> dict[int, int]:
    """The answer computed once the marks are old, which is then kept while
    nothing changes (a first look finds no mark: that counts as a change now)."""
    _remaining(client, procedure)
    clock.advance(availability_cache.CLOCK_TOLERANCE + 1)
    return _remaining(client, procedure)


def test_an_answer_is_kept_while_nothing_changes(
    applicant_api, slot, clock, django_assert_num_queries
):
    first = _settled(applicant_api, slot.procedure, clock)
    clock.advance(25)

    with django_assert_num_queries(1):  # the token only
        again = _remaining(applicant_api, slot.procedure)

    assert again == first == {slot.pk: 3}


def test_a_first_look_is_kept_for_its_second_only(applicant_api, slot, clock):
    _remaining(applicant_api, slot.procedure)
    Slot.objects.filter(pk=slot.pk).update(booked=1)  # a write no service reported
    clock.advance(0.9)
    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 3}
    clock.advance(0.2)

    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 2}


def test_an_answer_is_not_kept_beyond_the_long_lifetime(applicant_api, slot, clock):
    _settled(applicant_api, slot.procedure, clock)
    Slot.objects.filter(pk=slot.pk).update(booked=1)  # a write no service reported
    clock.advance(31)

    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 2}


def test_a_booking_makes_the_answer_out_of_date_at_once(
    applicant_api, slot, clock, django_capture_on_commit_callbacks
):
    assert _settled(applicant_api, slot.procedure, clock) == {slot.pk: 3}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        assert applicant_api.post(APPOINTMENTS, {"slot": slot.pk}, format="json").status_code == 201

    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 2}


def test_in_a_storm_an_answer_is_served_for_its_second_then_computed_again(
    applicant_api, slot, clock, django_capture_on_commit_callbacks
):
    assert _settled(applicant_api, slot.procedure, clock) == {slot.pk: 3}
    clock.advance(0.5)
    with django_capture_on_commit_callbacks(execute=True):
        applicant_api.post(APPOINTMENTS, {"slot": slot.pk}, format="json")

    clock.advance(0.4)
    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 3}  # 0.9 s old
    clock.advance(0.2)
    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 2}


def test_a_cancellation_and_a_reschedule_make_the_answer_out_of_date(
    applicant, site, procedure, clock, django_capture_on_commit_callbacks
):
    from tests.helpers.api_clients import token_client

    first = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    second = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = services.appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=first.pk
        )
    client = token_client(applicant.user)
    assert _settled(client, procedure, clock) == {second.pk: 1}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=second.pk
        )
    assert _settled(client, procedure, clock) == {first.pk: 1}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(actor=applicant.user, appointment=appointment)
    assert _remaining(client, procedure) == {first.pk: 1, second.pk: 1}


def test_a_publication_makes_the_answer_out_of_date(
    applicant_api, agent, site, procedure, clock, django_capture_on_commit_callbacks
):
    from datetime import time

    assert _settled(applicant_api, procedure, clock) == {}
    clock.advance(5)
    day = timezone.localdate() + timedelta(days=2)

    with django_capture_on_commit_callbacks(execute=True):
        services.slots_publish(
            actor=agent,
            site=site,
            procedure=procedure,
            date_from=day,
            date_to=day,
            weekdays=range(7),
            opening_ranges=[services.OpeningRange(time(9, 0), time(10, 0))],
            counters=2,
            slot_minutes=30,
        )

    assert sorted(_remaining(applicant_api, procedure).values()) == [2, 2]


def test_saving_a_slot_or_a_site_outside_the_services_makes_answers_out_of_date(
    applicant_api, slot, clock, django_capture_on_commit_callbacks
):
    assert _settled(applicant_api, slot.procedure, clock) == {slot.pk: 3}
    clock.advance(5)
    with django_capture_on_commit_callbacks(execute=True):
        slot.capacity = 5
        slot.save()
    assert _settled(applicant_api, slot.procedure, clock) == {slot.pk: 5}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        slot.site.is_active = False
        slot.site.save()

    assert _remaining(applicant_api, slot.procedure) == {}


def test_a_slot_published_later_appears_at_its_moment(applicant_api, site, procedure, clock):
    later = factories.SlotFactory(
        site=site, procedure=procedure, published_at=timezone.now() + timedelta(seconds=10)
    )
    assert _settled(applicant_api, procedure, clock) == {}  # 2 s later

    clock.advance(7)
    assert _remaining(applicant_api, procedure) == {}
    clock.advance(1.5)
    assert _remaining(applicant_api, procedure) == {later.pk: 3}


def test_a_slot_leaves_at_the_cut_off_and_the_next_one_enters_at_the_horizon_s_step(
    applicant_api, site, clock
):
    procedure = factories.ProcedureFactory(cutoff_hours=1, horizon_days=2)
    now = timezone.now()
    released_until = now + timedelta(days=1)
    Horizon.objects.create(
        procedure=procedure,
        horizon_days=2,
        released_until=released_until,
        next_release_at=now + timedelta(seconds=20),  # the drawn moment of the next step
        next_released_until=released_until + timedelta(days=1),
    )
    leaving = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=now + timedelta(hours=1, seconds=10)
    )
    entering = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=released_until + timedelta(hours=1)
    )
    assert _settled(applicant_api, procedure, clock) == {leaving.pk: 3}  # 2 s later

    clock.advance(9)
    assert _remaining(applicant_api, procedure) == {}
    clock.advance(8)
    assert _remaining(applicant_api, procedure) == {}  # kept: nothing changed yet
    clock.advance(1.5)
    assert _remaining(applicant_api, procedure) == {entering.pk: 3}  # no write made it


def test_a_lost_mark_does_not_make_an_old_answer_current(applicant_api, slot, clock):
    _settled(applicant_api, slot.procedure, clock)
    Slot.objects.filter(pk=slot.pk).update(booked=2)
    clock.advance(5)

    cache.delete(availability_cache._mark_key(slot.procedure.slug))  # evicted

    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 1}


def test_without_a_shared_cache_answers_are_kept_a_second_at_most(settings):
    settings.GUICHET_AVAILABILITY_CACHE_LONG_SECONDS = 30

    assert not availability_cache.shared()  # the tests' in-process cache
    assert availability_cache.long_lifetime() == 0


def test_a_process_marks_a_procedure_once_a_second_and_covers_what_it_changes_meanwhile(
    site, procedure, clock, django_capture_on_commit_callbacks, monkeypatch
):
    from tests.helpers.api_clients import token_client

    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=5)
    first, second = factories.ApplicantFactory(), factories.ApplicantFactory()
    # One clock here: no tolerance, so that a mark short of a change would show.
    monkeypatch.setattr(availability_cache, "CLOCK_TOLERANCE", 0.0)
    writes = []
    raise_ = availability_cache._marks_raise
    monkeypatch.setattr(
        availability_cache,
        "_marks_raise",
        lambda keys, until, backend: writes.append(keys) or raise_(keys, until, backend),
    )
    client = token_client(first.user)
    assert _settled(client, procedure, clock) == {slot.pk: 5}
    writes.clear()
    clock.advance(1.5)  # kept past its second: only a mark makes it out of date

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_book(actor=first.user, applicant=first, slot_id=slot.pk)
    clock.advance(0.3)
    assert _remaining(client, procedure) == {slot.pk: 4}
    clock.advance(0.3)
    with django_capture_on_commit_callbacks(execute=True):  # within the first mark
        services.appointment_book(actor=second.user, applicant=second, slot_id=slot.pk)
    clock.advance(0.8)  # the answer's second is over

    assert _remaining(client, procedure) == {slot.pk: 3}
    assert writes == [[availability_cache._mark_key(procedure.slug)]]


def test_on_redis_a_mark_only_moves_forward():
    require_redis()
    from core.cache import RedisCache

    backend = RedisCache(
        "redis://127.0.0.1:6379/14", {"KEY_PREFIX": f"test-marks-{uuid.uuid4().hex}"}
    )
    key = availability_cache._mark_key("titre-de-sejour")
    try:
        availability_cache._marks_raise([key], 2000.5, backend)
        availability_cache._marks_raise([key], 1000.0, backend)  # a late write
        assert backend.get(key) == 2_000_500
        availability_cache._marks_raise([key], 3000.0, backend)
        assert backend.get(key) == 3_000_000
    finally:
        backend.delete(key)
