from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone

from booking import errors
from booking.models import Pool, Publication, Slot
from booking.services import OpeningRange, appointment_book, slots_publish
from tests import factories

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Every test runs at this moment: a Monday morning, before both DST changes of 2027.
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=PARIS)
MONDAY = date(2027, 3, 8)
SPRING_FORWARD = date(2027, 3, 28)  # last Sunday of March: 02:00 CET -> 03:00 CEST
FALL_BACK = date(2027, 10, 31)  # last Sunday of October: 03:00 CEST -> 02:00 CET
MORNING = OpeningRange(time(9), time(10))


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(UTC))
    return NOW


def _publish(actor, site, procedure, **overrides):
    params = {
        "date_from": MONDAY,
        "date_to": MONDAY,
        "weekdays": range(7),
        "opening_ranges": [MORNING],
        "counters": 1,
    }
    return slots_publish(actor=actor, site=site, procedure=procedure, **(params | overrides))


def _local(slots) -> list[str]:
    return [f"{timezone.localtime(s.starts_at):%a %d %H:%M}" for s in slots]


def _slots(**filters):
    return list(Slot.objects.filter(**filters).order_by("starts_at", "pool"))


# --- What gets created ----------------------------------------------------------------


def test_publish_creates_slots_on_the_chosen_weekdays_only(agent, site, procedure):
    result = _publish(
        agent, site, procedure, date_to=MONDAY + timedelta(days=6), weekdays=[0, 2], counters=2
    )

    slots = _slots()
    assert _local(slots) == [
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
    result = _publish(
        agent,
        site,
        procedure,
        opening_ranges=[OpeningRange(time(14), time(15)), OpeningRange(time(9), time(10))],
    )

    assert result.created == 6
    assert _local(_slots()) == [
        "Mon 08 09:00",
        "Mon 08 09:20",
        "Mon 08 09:40",
        "Mon 08 14:00",
        "Mon 08 14:20",
        "Mon 08 14:40",
    ]


def test_slot_length_defaults_to_the_procedure_duration(agent, site):
    procedure = factories.ProcedureFactory(duration_minutes=30)

    _publish(agent, site, procedure, opening_ranges=[OpeningRange(time(9), time(10, 30))])

    slots = _slots()
    assert _local(slots) == ["Mon 08 09:00", "Mon 08 09:30", "Mon 08 10:00"]
    assert {s.ends_at - s.starts_at for s in slots} == {timedelta(minutes=30)}


def test_a_range_that_is_not_a_multiple_of_the_slot_drops_the_remainder(agent, site, procedure):
    _publish(agent, site, procedure, slot_minutes=25)

    slots = _slots()
    assert _local(slots) == ["Mon 08 09:00", "Mon 08 09:25"]
    assert slots[-1].ends_at == datetime(2027, 3, 8, 9, 50, tzinfo=PARIS)


def test_counters_are_split_into_public_mediation_and_priority_pools(agent, site, procedure):
    result = _publish(agent, site, procedure, counters=6, mediation_counters=1, priority_counters=2)

    slots = _slots()
    assert len(slots) == 9
    assert {(s.pool, s.capacity) for s in slots} == {
        (Pool.PUBLIC, 3),
        (Pool.MEDIATION, 1),
        (Pool.PRIORITY, 2),
    }
    assert Slot.objects.filter(pool=Pool.PUBLIC).count() == 3
    assert (result.created, result.publication.seats_created) == (9, 18)


def test_a_pool_without_counters_gets_no_rows(agent, site, procedure):
    _publish(agent, site, procedure, counters=2, mediation_counters=2)

    assert {(s.pool, s.capacity) for s in _slots()} == {(Pool.MEDIATION, 2)}


def test_slots_become_visible_at_the_chosen_moment(agent, site, procedure):
    visible_at = datetime(2027, 3, 5, 10, 0, tzinfo=PARIS)

    result = _publish(agent, site, procedure, visible_at=visible_at)

    assert {s.published_at for s in _slots()} == {visible_at}
    assert result.publication.visible_at == visible_at


def test_slots_are_visible_at_once_by_default(agent, site, procedure):
    _publish(agent, site, procedure)

    assert {s.published_at for s in _slots()} == {NOW}


def test_random_window_draws_one_moment_inside_it_for_a_whole_publication(agent, site, procedure):
    start = datetime(2027, 3, 5, 10, 0, tzinfo=PARIS)
    end = start + timedelta(hours=2)
    moments = []

    for week in range(8):
        day = MONDAY + timedelta(weeks=week)
        result = _publish(
            agent, site, procedure, date_from=day, date_to=day, visible_at=start, visible_until=end
        )
        published = {s.published_at for s in _slots(publication=result.publication)}
        assert published == {result.publication.visible_at}
        moments.append(result.publication.visible_at)

    assert all(start <= moment <= end for moment in moments)
    assert len(set(moments)) > 1  # 8 draws among 7,201 seconds


# --- Publishing again -------------------------------------------------------------------


def test_publishing_the_same_window_twice_creates_nothing_twice(agent, site, procedure):
    params = {
        "date_to": MONDAY + timedelta(days=13),
        "weekdays": [0, 1, 3],
        "counters": 3,
        "mediation_counters": 1,
    }
    first = _publish(agent, site, procedure, **params)

    second = _publish(agent, site, procedure, **params)

    assert (first.created, first.skipped) == (36, 0)  # 6 days x 3 times x 2 pools
    assert (second.created, second.skipped) == (0, 36)
    assert Slot.objects.count() == 36
    assert Slot.objects.aggregate(seats=Sum("capacity"))["seats"] == 18 * 3
    assert (second.publication.slots_created, second.publication.seats_created) == (0, 0)


def test_wider_republication_creates_only_the_missing_slots(agent, site, procedure):
    first = _publish(agent, site, procedure, counters=2)
    first_ids = set(Slot.objects.values_list("pk", flat=True))

    second = _publish(
        agent,
        site,
        procedure,
        date_to=MONDAY + timedelta(days=1),
        opening_ranges=[OpeningRange(time(8, 20), time(11))],
        counters=2,
    )

    assert (first.created, second.created, second.skipped) == (3, 13, 3)
    assert _local(_slots()) == [
        "Mon 08 08:20",
        "Mon 08 08:40",
        "Mon 08 09:00",
        "Mon 08 09:20",
        "Mon 08 09:40",
        "Mon 08 10:00",
        "Mon 08 10:20",
        "Mon 08 10:40",
        "Tue 09 08:20",
        "Tue 09 08:40",
        "Tue 09 09:00",
        "Tue 09 09:20",
        "Tue 09 09:40",
        "Tue 09 10:00",
        "Tue 09 10:20",
        "Tue 09 10:40",
    ]
    assert set(Slot.objects.filter(publication=first.publication).values_list("pk", flat=True)) == (
        first_ids
    )


def test_republishing_never_adds_seats_to_a_time_already_published(agent, site, procedure):
    """Three counters at 09:00 stay three seats, whatever split a second
    publication of the same window asks for."""
    _publish(agent, site, procedure, counters=3)

    second = _publish(agent, site, procedure, counters=3, mediation_counters=1, priority_counters=1)

    assert second.created == 0
    for start in Slot.objects.values_list("starts_at", flat=True).distinct():
        assert Slot.objects.filter(starts_at=start).aggregate(s=Sum("capacity"))["s"] == 3


def test_republishing_leaves_booked_slots_alone(agent, site, procedure, applicant):
    _publish(agent, site, procedure, counters=2)
    booked_slot = _slots()[0]
    appointment_book(actor=agent, applicant=applicant, slot_id=booked_slot.pk)

    _publish(agent, site, procedure, counters=5)

    booked_slot.refresh_from_db()
    assert (booked_slot.capacity, booked_slot.booked) == (2, 1)


def test_times_already_past_today_are_not_published(agent, site, procedure, monkeypatch):
    monkeypatch.setattr(
        timezone, "now", lambda: datetime(2027, 3, 8, 9, 10, tzinfo=PARIS).astimezone(UTC)
    )

    result = _publish(agent, site, procedure)

    assert _local(_slots()) == ["Mon 08 09:20", "Mon 08 09:40"]
    assert (result.created, result.skipped) == (2, 0)


# --- Refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"date_to": MONDAY - timedelta(days=1)}, id="end-before-start"),
        pytest.param({"slot_minutes": 0}, id="zero-slot-length"),
        pytest.param({"slot_minutes": -20}, id="negative-slot-length"),
        pytest.param({"slot_minutes": 481}, id="slot-longer-than-a-working-day"),
        pytest.param({"date_from": date(2027, 2, 28), "date_to": MONDAY}, id="past-date"),
        pytest.param(
            {"opening_ranges": [MORNING, OpeningRange(time(9, 40), time(11))]},
            id="overlapping-ranges",
        ),
        pytest.param({"opening_ranges": [MORNING, MORNING]}, id="same-range-twice"),
        pytest.param({"opening_ranges": [OpeningRange(time(10), time(9))]}, id="range-backwards"),
        pytest.param(
            {"opening_ranges": [OpeningRange(time(9), time(9, 15))]}, id="range-shorter-than-slot"
        ),
        pytest.param({"opening_ranges": []}, id="no-range"),
        pytest.param({"counters": 0}, id="no-counter"),
        pytest.param({"counters": 201}, id="too-many-counters"),
        pytest.param(
            {"counters": 3, "mediation_counters": 2, "priority_counters": 2},
            id="reserved-more-than-counters",
        ),
        pytest.param({"counters": 3, "mediation_counters": -1}, id="negative-reserved"),
        pytest.param({"weekdays": []}, id="no-weekday"),
        pytest.param({"weekdays": [7]}, id="weekday-out-of-range"),
        pytest.param({"date_to": MONDAY + timedelta(days=366)}, id="more-than-a-year"),
        pytest.param(
            {"visible_until": datetime(2027, 3, 5, tzinfo=PARIS)}, id="window-without-start"
        ),
        pytest.param(
            {
                "visible_at": datetime(2027, 3, 5, 12, tzinfo=PARIS),
                "visible_until": datetime(2027, 3, 5, 11, tzinfo=PARIS),
            },
            id="window-backwards",
        ),
    ],
)
def test_invalid_publication_is_refused_and_creates_nothing(agent, site, procedure, bad):
    with pytest.raises(errors.InvalidPublication) as refused:
        _publish(agent, site, procedure, **bad)

    assert refused.value.code == "invalid_publication"
    assert refused.value.status == 400
    assert (Publication.objects.count(), Slot.objects.count()) == (0, 0)


def test_a_publication_may_cover_a_whole_year(agent, site, procedure):
    result = _publish(
        agent,
        site,
        procedure,
        date_to=MONDAY + timedelta(days=365),
        weekdays=[0],
        opening_ranges=[OpeningRange(time(9), time(9, 20))],
    )

    assert result.created == 53


@pytest.mark.parametrize("persona", ["applicant", "mediator", "other_agent", "inactive_agent"])
def test_only_an_agent_of_the_site_may_publish(persona, site, procedure, request):
    if persona == "inactive_agent":
        actor = factories.AgentFactory(sites=[site], is_active=False)
    elif persona == "applicant":
        actor = request.getfixturevalue("applicant").user
    else:
        actor = request.getfixturevalue(persona)

    with pytest.raises(errors.NotAllowed) as refused:
        _publish(actor, site, procedure)

    assert refused.value.code == "not_allowed"
    assert (Publication.objects.count(), Slot.objects.count()) == (0, 0)


def test_supervisor_may_publish_for_any_site(supervisor, site, procedure):
    assert _publish(supervisor, site, procedure).created == 3


# --- Local time and daylight saving time -------------------------------------------------


def test_times_are_paris_local_time_in_winter_and_summer(agent, site, procedure):
    _publish(
        agent,
        site,
        procedure,
        date_to=date(2027, 7, 5),
        weekdays=[0],
        opening_ranges=[OpeningRange(time(9), time(9, 20))],
    )

    slots = _slots()
    assert slots[0].starts_at == datetime(2027, 3, 8, 8, 0, tzinfo=UTC)  # CET, UTC+1
    assert slots[-1].starts_at == datetime(2027, 7, 5, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    assert {timezone.localtime(s.starts_at).time() for s in slots} == {time(9)}


@pytest.mark.parametrize(
    ("day", "utc_hour_before", "utc_hour_on"),
    [(SPRING_FORWARD, 8, 7), (FALL_BACK, 7, 8)],
)
def test_slots_on_a_dst_change_day_keep_local_times_and_lengths(
    agent, site, procedure, day, utc_hour_before, utc_hour_on
):
    _publish(
        agent,
        site,
        procedure,
        date_from=day - timedelta(days=1),
        date_to=day,
        opening_ranges=[OpeningRange(time(9), time(12))],
    )

    slots = _slots()
    assert len(slots) == 18
    saturday, sunday = slots[:9], slots[9:]
    assert saturday[0].starts_at == datetime.combine(
        day - timedelta(days=1), time(utc_hour_before), tzinfo=UTC
    )
    assert sunday[0].starts_at == datetime.combine(day, time(utc_hour_on), tzinfo=UTC)
    assert {timezone.localtime(s.starts_at).strftime("%H:%M") for s in sunday} == {
        "09:00",
        "09:20",
        "09:40",
        "10:00",
        "10:20",
        "10:40",
        "11:00",
        "11:20",
        "11:40",
    }
    assert {s.ends_at - s.starts_at for s in slots} == {timedelta(minutes=20)}


def test_night_range_across_the_spring_forward_gap_has_no_duplicate_or_phantom_slot(
    agent, site, procedure
):
    """01:00 to 04:00 local on the day 02:00 does not exist lasts two real hours."""
    result = _publish(
        agent,
        site,
        procedure,
        date_from=SPRING_FORWARD,
        date_to=SPRING_FORWARD,
        opening_ranges=[OpeningRange(time(1), time(4))],
    )

    slots = _slots()
    assert [f"{timezone.localtime(s.starts_at):%H:%M%z}" for s in slots] == [
        "01:00+0100",
        "01:20+0100",
        "01:40+0100",
        "03:00+0200",
        "03:20+0200",
        "03:40+0200",
    ]
    assert (result.created, result.skipped) == (6, 0)
    assert {s.ends_at - s.starts_at for s in slots} == {timedelta(minutes=20)}


def test_night_range_across_the_fall_back_hour_covers_both_passes(agent, site, procedure):
    """01:00 to 04:00 local on the day 02:00-03:00 happens twice lasts four real hours."""
    result = _publish(
        agent,
        site,
        procedure,
        date_from=FALL_BACK,
        date_to=FALL_BACK,
        opening_ranges=[OpeningRange(time(1), time(4))],
    )

    slots = _slots()
    assert result.created == 12
    assert slots[0].starts_at == datetime(2027, 10, 30, 23, 0, tzinfo=UTC)  # 01:00 CEST
    assert slots[-1].ends_at == datetime(2027, 10, 31, 3, 0, tzinfo=UTC)  # 04:00 CET
    assert all(a.ends_at == b.starts_at for a, b in pairwise(slots))
