from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser

from booking.models import Pool, Procedure
from booking.selectors import appointments_for, availability, by_day, pools_for
from booking.services import appointment_book
from tests import factories

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 1, 11, 10, 0, tzinfo=PARIS)  # a Monday in winter: Paris is UTC+1


def _slot(procedure, site, starts_at, **fields):
    return factories.SlotFactory(
        procedure=procedure,
        site=site,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        published_at=fields.pop("published_at", NOW - timedelta(days=1)),
        **fields,
    )


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def tuesday():
    return date(2027, 1, 12)


def test_availability_returns_only_bookable_slots_in_order(procedure, site, tuesday):
    other_site = factories.SiteFactory()
    later = _slot(procedure, site, _at(tuesday, 11), booked=2)
    first_other_site = _slot(procedure, other_site, _at(tuesday, 9))
    first = _slot(procedure, site, _at(tuesday, 9))
    at_cutoff = _slot(procedure, site, NOW + timedelta(hours=procedure.cutoff_hours))
    # The horizon ends at the start of a day (booking.horizon); none drawn yet:
    # at the end of day today + horizon_days - 1.
    horizon_end = datetime.combine(
        NOW.date() + timedelta(days=procedure.horizon_days), time.min, tzinfo=PARIS
    )
    last_in_horizon = _slot(procedure, site, horizon_end - timedelta(minutes=1))
    # None of these may be offered:
    _slot(procedure, site, _at(tuesday, 9, 20), booked=3)  # full
    _slot(procedure, site, _at(tuesday, 9, 40), published_at=NOW + timedelta(seconds=1))
    _slot(procedure, site, NOW - timedelta(minutes=20))  # past
    _slot(procedure, site, NOW + timedelta(hours=procedure.cutoff_hours, seconds=-1))
    _slot(procedure, site, horizon_end)  # beyond horizon
    _slot(procedure, site, _at(tuesday, 10), pool=Pool.MEDIATION)
    _slot(procedure, site, _at(tuesday, 10, 20), pool=Pool.PRIORITY)
    _slot(factories.ProcedureFactory(), site, _at(tuesday, 10, 40))
    _slot(procedure, factories.SiteFactory(is_active=False), _at(tuesday, 10, 40))

    offered = list(availability(procedure=procedure, now=NOW))

    assert first.site_id < first_other_site.site_id
    assert offered == [at_cutoff, first, first_other_site, later, last_in_horizon]


def test_availability_offers_the_requested_pools(procedure, site, tuesday):
    public = _slot(procedure, site, _at(tuesday, 9))
    mediation = _slot(procedure, site, _at(tuesday, 9), pool=Pool.MEDIATION)
    priority = _slot(procedure, site, _at(tuesday, 9), pool=Pool.PRIORITY)

    for_mediators = list(availability(procedure=procedure, pools=("public", "mediation"), now=NOW))
    for_agents = list(
        availability(procedure=procedure, pools=iter(["public", "mediation", "priority"]), now=NOW)
    )
    priority_only = list(availability(procedure=procedure, pools=["priority"], now=NOW))

    assert for_mediators == [mediation, public]  # same time and site: by pool name
    assert for_agents == [mediation, priority, public]
    assert priority_only == [priority]


def test_availability_filters_by_site(procedure, site, tuesday):
    other, third = factories.SiteFactory(), factories.SiteFactory()
    here = _slot(procedure, site, _at(tuesday, 9))
    there = _slot(procedure, other, _at(tuesday, 9, 20))
    _slot(procedure, third, _at(tuesday, 9, 40))

    assert list(availability(procedure=procedure, site_ids=[site.pk], now=NOW)) == [here]
    assert list(availability(procedure=procedure, site_ids={other.pk, site.pk}, now=NOW)) == [
        here,
        there,
    ]
    assert list(availability(procedure=procedure, site_ids=[], now=NOW)) == []


def test_date_bounds_are_local_days(procedure, site, tuesday):
    wednesday = tuesday + timedelta(days=1)
    late_tuesday = _slot(procedure, site, _at(tuesday, 23, 30))  # Tuesday 22:30 UTC
    early_wednesday = _slot(procedure, site, _at(wednesday, 0, 10))  # Tuesday 23:10 UTC
    late_wednesday = _slot(procedure, site, _at(wednesday, 23, 40))
    thursday = _slot(procedure, site, _at(wednesday + timedelta(days=1), 0, 0))

    def offered(**bounds):
        return list(availability(procedure=procedure, now=NOW, **bounds))

    assert offered(date_to=tuesday) == [late_tuesday]
    assert offered(date_from=wednesday) == [early_wednesday, late_wednesday, thursday]
    assert offered(date_from=wednesday, date_to=wednesday) == [early_wednesday, late_wednesday]
    assert offered(date_from=tuesday, date_to=wednesday) == [
        late_tuesday,
        early_wednesday,
        late_wednesday,
    ]


def test_date_bounds_never_widen_the_booking_window(procedure, site):
    today = NOW.date()
    within_cutoff = _slot(procedure, site, NOW + timedelta(hours=1))
    after_cutoff = _slot(procedure, site, NOW + timedelta(hours=3))
    beyond = _slot(procedure, site, NOW + timedelta(days=procedure.horizon_days, hours=1))

    offered = list(
        availability(
            procedure=procedure,
            date_from=today - timedelta(days=3),
            date_to=today + timedelta(days=procedure.horizon_days + 5),
            now=NOW,
        )
    )

    assert offered == [after_cutoff]
    assert within_cutoff not in offered and beyond not in offered


def test_by_day_groups_slots_by_local_day(procedure, site, tuesday):
    wednesday = tuesday + timedelta(days=1)
    nine = _slot(procedure, site, _at(tuesday, 9))
    late = _slot(procedure, site, _at(tuesday, 23, 30))
    after_midnight = _slot(procedure, site, _at(wednesday, 0, 10))  # same UTC date as `late`
    ten = _slot(procedure, site, _at(wednesday, 10))

    days = by_day(availability(procedure=procedure, now=NOW))

    assert late.starts_at.astimezone(UTC).date() == after_midnight.starts_at.astimezone(UTC).date()
    assert days == [(tuesday, [nine, late]), (wednesday, [after_midnight, ten])]


def test_by_day_of_nothing_is_empty():
    assert by_day([]) == []


def test_availability_is_one_query(procedure, site, tuesday, django_assert_num_queries):
    for hour in range(9, 17):
        _slot(procedure, factories.SiteFactory(), _at(tuesday, hour))

    # As its callers read it: with its horizon (booking.horizon).
    procedure = Procedure.objects.select_related("horizon").get(pk=procedure.pk)

    with django_assert_num_queries(1):
        slots = list(availability(procedure=procedure, now=NOW))
        labels = [(s.site.name, s.site.full_address, s.remaining) for s in slots]

    assert len(labels) == 8


# --- Who sees which pools and appointments -------------------------------------------------


def test_pools_for_each_persona(applicant, mediator, agent, supervisor):
    assert pools_for(AnonymousUser()) == {"public"}
    assert pools_for(applicant.user) == {"public"}
    assert pools_for(mediator) == {"public", "mediation"}
    assert pools_for(agent) == {"public", "mediation", "priority"}
    assert pools_for(supervisor) == {"public", "mediation", "priority"}


def test_appointments_for_each_persona(
    applicant, other_applicant, mediator, agent, other_agent, supervisor, site, procedure
):
    colleague = factories.MediatorFactory(access_point=mediator.access_point)
    stranger_mediator = factories.MediatorFactory()
    walk_in = factories.ApplicantFactory(user=None, access_point=mediator.access_point)
    factories.ConsentFactory(applicant=walk_in, mediator=colleague)
    elsewhere = factories.SlotFactory(procedure=procedure)
    own = appointment_book(
        actor=applicant.user,
        applicant=applicant,
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )
    for_walk_in = appointment_book(actor=colleague, applicant=walk_in, slot_id=elsewhere.pk)
    others = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=elsewhere.pk
    )

    def seen(user):
        return set(appointments_for(user))

    assert seen(applicant.user) == {own}
    assert seen(other_applicant.user) == {others}
    assert seen(mediator) == {for_walk_in}  # booked at the same access point
    assert seen(colleague) == {for_walk_in}
    assert seen(stranger_mediator) == set()
    assert seen(agent) == {own}  # slot at the agent's site
    assert seen(other_agent) == set()
    assert seen(supervisor) == {own, for_walk_in, others}
    assert seen(AnonymousUser()) == set()


def test_appointments_for_is_one_query_latest_first(
    applicant, procedure, django_assert_num_queries
):
    first = appointment_book(
        actor=applicant.user,
        applicant=applicant,
        slot_id=factories.SlotFactory(procedure=procedure).pk,
    )
    second = appointment_book(
        actor=applicant.user,
        applicant=applicant,
        slot_id=factories.SlotFactory(procedure=factories.ProcedureFactory()).pk,
    )

    with django_assert_num_queries(1):
        rows = list(appointments_for(applicant.user))
        labels = [(a.slot.site.name, a.procedure.name) for a in rows]

    assert rows == [second, first]
    assert len(labels) == 2
