"""booking.availability_cache with a shared cache: an availability answer is
kept while no capacity changes, for the long lifetime at most; every change
(through the services or a save) makes it out of date, and so does time (a
slot published later, the cut-off, the horizon). Whatever changed, an answer
is served for a second after it was computed, and never longer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from booking import availability_cache, services
from booking.models import Slot
from tests import factories

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
    cache.clear()
    yield clock
    cache.clear()


def _remaining(client, procedure) -> dict[int, int]:
    response = client.get(URL, {"procedure": procedure.slug})
    assert response.status_code == 200
    return {row["slot"]: row["remaining"] for row in response.json()}


def test_an_answer_is_kept_while_nothing_changes(
    applicant_api, slot, clock, django_assert_num_queries
):
    first = _remaining(applicant_api, slot.procedure)
    clock.advance(25)

    with django_assert_num_queries(1):  # the token only
        again = _remaining(applicant_api, slot.procedure)

    assert again == first == {slot.pk: 3}


def test_an_answer_is_not_kept_beyond_the_long_lifetime(applicant_api, slot, clock):
    _remaining(applicant_api, slot.procedure)
    Slot.objects.filter(pk=slot.pk).update(booked=1)  # a write no service reported
    clock.advance(31)

    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 2}


def test_a_booking_makes_the_answer_out_of_date_at_once(
    applicant_api, slot, clock, django_capture_on_commit_callbacks
):
    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 3}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        assert applicant_api.post(APPOINTMENTS, {"slot": slot.pk}, format="json").status_code == 201

    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 2}


def test_in_a_storm_an_answer_is_served_for_its_second_then_computed_again(
    applicant_api, slot, clock, django_capture_on_commit_callbacks
):
    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 3}
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
    from tests.api.conftest import token_client

    first = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    second = factories.SlotFactory(site=site, procedure=procedure, capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = services.appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=first.pk
        )
    client = token_client(applicant.user)
    assert _remaining(client, procedure) == {second.pk: 1}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(
            actor=applicant.user, appointment=appointment, new_slot_id=second.pk
        )
    assert _remaining(client, procedure) == {first.pk: 1}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(actor=applicant.user, appointment=appointment)
    assert _remaining(client, procedure) == {first.pk: 1, second.pk: 1}


def test_a_publication_makes_the_answer_out_of_date(
    applicant_api, agent, site, procedure, clock, django_capture_on_commit_callbacks
):
    from datetime import time

    assert _remaining(applicant_api, procedure) == {}
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
    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 3}
    clock.advance(5)
    with django_capture_on_commit_callbacks(execute=True):
        slot.capacity = 5
        slot.save()
    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 5}
    clock.advance(5)

    with django_capture_on_commit_callbacks(execute=True):
        slot.site.is_active = False
        slot.site.save()

    assert _remaining(applicant_api, slot.procedure) == {}


def test_a_slot_published_later_appears_at_its_moment(applicant_api, site, procedure, clock):
    later = factories.SlotFactory(
        site=site, procedure=procedure, published_at=timezone.now() + timedelta(seconds=10)
    )
    assert _remaining(applicant_api, procedure) == {}

    clock.advance(9)
    assert _remaining(applicant_api, procedure) == {}
    clock.advance(1.5)
    assert _remaining(applicant_api, procedure) == {later.pk: 3}


def test_a_slot_leaves_at_the_cut_off_and_the_next_one_enters_at_the_horizon(
    applicant_api, site, clock
):
    procedure = factories.ProcedureFactory(cutoff_hours=1, horizon_days=2)
    now = timezone.now()
    leaving = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=now + timedelta(hours=1, seconds=10)
    )
    entering = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=now + timedelta(days=2, seconds=20)
    )
    assert _remaining(applicant_api, procedure) == {leaving.pk: 3}

    clock.advance(11)
    assert _remaining(applicant_api, procedure) == {}
    clock.advance(10)
    assert _remaining(applicant_api, procedure) == {entering.pk: 3}


def test_a_lost_generation_does_not_make_an_old_answer_current(applicant_api, slot, clock):
    _remaining(applicant_api, slot.procedure)
    Slot.objects.filter(pk=slot.pk).update(booked=2)
    clock.advance(5)

    cache.delete(availability_cache._generation_key(slot.procedure.slug))  # evicted

    assert _remaining(applicant_api, slot.procedure) == {slot.pk: 1}


def test_without_a_shared_cache_answers_are_kept_a_second_at_most(settings):
    settings.GUICHET_AVAILABILITY_CACHE_LONG_SECONDS = 30

    assert not availability_cache.shared()  # the tests' in-process cache
    assert availability_cache.long_lifetime() == 0
