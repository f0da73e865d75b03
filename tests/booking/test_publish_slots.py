"""Publishing slots: what gets created, in which pools, visible when."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from booking.models import Pool, Slot
from booking.services import OpeningRange
from tests import factories
from tests.helpers.publishing import (
    MONDAY,
    NOW,
    PARIS,
    frozen_now,  # noqa: F401 - every test runs at NOW
    local_times,
    publish,
    slots_where,
)

pytestmark = pytest.mark.django_db


# --- What gets created ----------------------------------------------------------------


def test_publish_creates_slots_on_the_chosen_weekdays_only(agent, site, procedure):
    result = publish(
        agent, site, procedure, date_to=MONDAY + timedelta(days=6), weekdays=[0, 2], counters=2
    )

    slots = slots_where()
    assert local_times(slots) == [
        "Mon 08 09:00",
        "Mon 08 09:20",
        "Mon 08 09:40",
        "Wed 10 09:00",
        "Wed 10 09:20",
        "Wed 10 09:40",
    ]
    assert all(s.capacity == 2 and s.booked == 0 and s.pool == Pool.PUBLIC for s in slots)
    assert all(s.site == site and s.procedure == procedure for s in slots)
    assert (result.created, result.skipped) == (6, 0)
    publication = result.publication
    assert (publication.slots_created, publication.seats_created) == (6, 12)
    assert {s.publication_id for s in slots} == {publication.pk}
    assert publication.created_by == agent
    assert publication.parameters["weekdays"] == [0, 2]


def test_publish_takes_several_opening_ranges_per_day(agent, site, procedure):
    result = publish(
        agent,
        site,
        procedure,
        opening_ranges=[OpeningRange(time(14), time(15)), OpeningRange(time(9), time(10))],
    )

    assert result.created == 6
    assert local_times(slots_where()) == [
        "Mon 08 09:00",
        "Mon 08 09:20",
        "Mon 08 09:40",
        "Mon 08 14:00",
        "Mon 08 14:20",
        "Mon 08 14:40",
    ]


def test_slot_length_defaults_to_the_procedure_duration(agent, site):
    procedure = factories.ProcedureFactory(duration_minutes=30)

    publish(agent, site, procedure, opening_ranges=[OpeningRange(time(9), time(10, 30))])

    slots = slots_where()
    assert local_times(slots) == ["Mon 08 09:00", "Mon 08 09:30", "Mon 08 10:00"]
    assert {s.ends_at - s.starts_at for s in slots} == {timedelta(minutes=30)}


def test_a_range_that_is_not_a_multiple_of_the_slot_drops_the_remainder(agent, site, procedure):
    publish(agent, site, procedure, slot_minutes=25)

    slots = slots_where()
    assert local_times(slots) == ["Mon 08 09:00", "Mon 08 09:25"]
    assert slots[-1].ends_at == datetime(2027, 3, 8, 9, 50, tzinfo=PARIS)


def test_counters_are_split_into_public_mediation_and_priority_pools(agent, site, procedure):
    result = publish(agent, site, procedure, counters=6, mediation_counters=1, priority_counters=2)

    slots = slots_where()
    assert len(slots) == 9
    assert {(s.pool, s.capacity) for s in slots} == {
        (Pool.PUBLIC, 3),
        (Pool.MEDIATION, 1),
        (Pool.PRIORITY, 2),
    }
    assert Slot.objects.filter(pool=Pool.PUBLIC).count() == 3
    assert (result.created, result.publication.seats_created) == (9, 18)


def test_a_pool_without_counters_gets_no_rows(agent, site, procedure):
    publish(agent, site, procedure, counters=2, mediation_counters=2)

    assert {(s.pool, s.capacity) for s in slots_where()} == {(Pool.MEDIATION, 2)}


def test_slots_become_visible_at_the_chosen_moment(agent, site, procedure):
    visible_at = datetime(2027, 3, 5, 10, 0, tzinfo=PARIS)

    result = publish(agent, site, procedure, visible_at=visible_at)

    assert {s.published_at for s in slots_where()} == {visible_at}
    assert result.publication.visible_at == visible_at


def test_slots_are_visible_at_once_by_default(agent, site, procedure):
    publish(agent, site, procedure)

    assert {s.published_at for s in slots_where()} == {NOW}


def test_random_window_draws_one_moment_inside_it_for_a_whole_publication(agent, site, procedure):
    start = datetime(2027, 3, 5, 10, 0, tzinfo=PARIS)
    end = start + timedelta(hours=2)
    moments = []

    for week in range(8):
        day = MONDAY + timedelta(weeks=week)
        result = publish(
            agent, site, procedure, date_from=day, date_to=day, visible_at=start, visible_until=end
        )
        published = {s.published_at for s in slots_where(publication=result.publication)}
        assert published == {result.publication.visible_at}
        moments.append(result.publication.visible_at)

    assert all(start <= moment <= end for moment in moments)
    assert len(set(moments)) > 1  # 8 draws among 7,201 seconds
