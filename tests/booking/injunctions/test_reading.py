"""Court-ordered convocations (``booking.Injunction``), read: their states over
time, the list and its counts (who sees which), the choice of a time, finding
the person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.injunctions import (
    convocation_choice,
    injunction_counts,
    injunction_state,
    injunctions_for,
    injunctions_not_served,
    people_find,
    person_by_reference,
)
from booking.models import (
    Injunction,
    InjunctionState,
    Pool,
)
from booking.services import appointment_book
from booking.services.injunctions import injunction_convoke
from tests import factories
from tests.helpers.injunctions import record, slot_on, today

pytestmark = pytest.mark.django_db


# --- States over time ---------------------------------------------------------------------


def test_states_follow_the_calendar(agent, walk_in, procedure, site, settings):
    settings.INJUNCTION_AT_RISK_DAYS = 7
    order = record(agent, walk_in, procedure, site, deadline=today() + timedelta(days=20))
    now = timezone.now()

    def state_on(days: int) -> str:
        moment = now + timedelta(days=days)
        listed = injunctions_for(user=agent, now=moment).get()
        assert listed.state_value == injunction_state(order, now=moment)
        return listed.state_value

    assert state_on(0) == InjunctionState.OPEN
    assert state_on(12) == InjunctionState.OPEN
    assert state_on(13) == InjunctionState.AT_RISK  # 7 days before
    assert state_on(20) == InjunctionState.AT_RISK  # the deadline's day
    assert state_on(21) == InjunctionState.OVERDUE


def test_at_risk_days_is_a_setting(order, settings):
    settings.INJUNCTION_AT_RISK_DAYS = 12
    assert injunction_state(order) == InjunctionState.AT_RISK
    settings.INJUNCTION_AT_RISK_DAYS = 11
    assert injunction_state(order) == InjunctionState.OPEN


def test_a_served_order_stays_in_time_after_its_deadline(order, agent, priority_slot):
    injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)
    later = timezone.now() + timedelta(days=60)

    assert injunction_state(Injunction.objects.get(), now=later) == InjunctionState.IN_TIME
    assert injunctions_for(user=agent, now=later).get().state_value == InjunctionState.IN_TIME


def test_the_list_puts_overdue_then_at_risk_first_and_counts_them(agent, procedure, site):
    def order_due(days: int, case: str) -> Injunction:
        person = factories.ApplicantFactory(user=None)
        return record(
            agent,
            person,
            procedure,
            site,
            case_number=case,
            ordered_on=today() - timedelta(days=40),
            deadline=today() + timedelta(days=days),
        )

    relaxed = order_due(30, "A")
    risky = order_due(3, "B")
    overdue = order_due(-2, "C")
    risky_sooner = order_due(1, "D")

    listed = list(injunctions_for(user=agent))

    assert listed == [overdue, risky_sooner, risky, relaxed]
    assert injunction_counts(agent) == (2, 1)
    assert injunction_counts(agent).at_risk == 2
    assert injunction_counts(agent).overdue == 1
    assert [r.pk for r in injunctions_for(user=agent, state="at_risk")] == [
        risky_sooner.pk,
        risky.pk,
    ]
    assert injunctions_for(user=agent, state="not_served").first() == overdue


def test_each_agent_sees_and_counts_their_sites_only_supervisors_all(
    order, other_agent, supervisor, agent, mediator
):
    Injunction.objects.filter(pk=order.pk).update(deadline=today())

    assert list(injunctions_for(user=agent)) == [order]
    assert list(injunctions_for(user=supervisor)) == [order]
    assert list(injunctions_for(user=other_agent)) == []
    assert list(injunctions_for(user=mediator)) == []
    assert injunction_counts(agent) == (1, 0)
    assert injunction_counts(other_agent) == (0, 0)
    assert injunction_counts(mediator) == (0, 0)


def test_the_list_filters_by_site(agent, walk_in, procedure, site):
    second = factories.SiteFactory()
    agent.sites.add(second)
    here = record(agent, walk_in, procedure, site)
    there = record(agent, walk_in, procedure, second, case_number="2699999")

    assert list(injunctions_for(user=agent, site=second)) == [there]
    assert list(injunctions_for(user=agent, site=site.pk)) == [here]


def test_not_served_selector_is_what_a_waiting_list_reads(order, agent, priority_slot, procedure):
    assert list(injunctions_not_served(procedure_id=procedure.pk)) == [order]

    injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)

    assert list(injunctions_not_served(procedure_id=procedure.pk)) == []


# --- The choice of a time -------------------------------------------------------------------


def test_the_choice_offers_priority_times_up_to_the_deadline(agent, walk_in, procedure, site):
    deadline = today() + timedelta(days=4)
    order = record(agent, walk_in, procedure, site, deadline=deadline)
    before = slot_on(site, procedure, today() + timedelta(days=3))
    public = slot_on(site, procedure, today() + timedelta(days=3), pool=Pool.PUBLIC)
    after = slot_on(site, procedure, today() + timedelta(days=5))

    choice = convocation_choice(user=agent, injunction=order, requested=before.starts_at.date())
    offered = [slot for _day, slots in choice.days for slot in slots]
    every_pool = convocation_choice(
        user=agent, injunction=order, requested=before.starts_at.date(), any_pool=True
    )

    assert before in offered
    assert public not in offered
    assert after not in offered
    assert public in [slot for _day, slots in every_pool.days for slot in slots]


def test_the_choice_has_the_counters_window(agent, walk_in, procedure, site):
    """A time later today (within the online cut-off) and one beyond the public
    horizon are offered: a court order is served at the counter's window."""
    procedure.cutoff_hours = 24
    procedure.horizon_days = 2
    procedure.save(update_fields=["cutoff_hours", "horizon_days"])
    order = record(agent, walk_in, procedure, site)
    soon = timezone.now() + timedelta(hours=1)
    in_an_hour = factories.SlotFactory(
        site=site, procedure=procedure, pool=Pool.PRIORITY, starts_at=soon
    )
    beyond = slot_on(site, procedure, today() + timedelta(days=6))

    offered = [
        slot
        for requested in (timezone.localdate(soon), beyond.starts_at.date())
        for _day, slots in convocation_choice(
            user=agent, injunction=order, requested=requested
        ).days
        for slot in slots
    ]

    assert in_an_hour in offered
    assert beyond in offered


# --- Finding the person ---------------------------------------------------------------------


def test_agents_find_a_person_by_document_or_reference_with_the_birth_date(
    agent, mediator, applicant, site, procedure
):
    booked = appointment_book(
        actor=applicant.user,
        applicant=applicant,
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )

    assert people_find(
        actor=agent, document_number=applicant.document_number, birth_date=applicant.birth_date
    ) == [applicant]
    assert (
        person_by_reference(
            actor=agent, reference=booked.reference.lower(), birth_date=applicant.birth_date
        )
        == applicant
    )
    wrong_birth = applicant.birth_date + timedelta(days=1)
    assert (
        people_find(actor=agent, document_number=applicant.document_number, birth_date=wrong_birth)
        == []
    )
    assert (
        person_by_reference(actor=agent, reference=booked.reference, birth_date=wrong_birth) is None
    )
    assert (
        people_find(
            actor=mediator,
            document_number=applicant.document_number,
            birth_date=applicant.birth_date,
        )
        == []
    )
