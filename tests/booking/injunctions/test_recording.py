"""Court-ordered convocations (``booking.Injunction``), written: recording an
order, serving it before its deadline on priority capacity, the messages the
person is owed, the order open again when its appointment is cancelled, two
agents serving it at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.injunctions import (
    injunction_for_staff,
    injunction_state,
    injunctions_for,
    injunctions_not_served,
)
from booking.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Injunction,
    InjunctionState,
    Pool,
)
from booking.services import appointment_book, appointment_cancel
from booking.services.injunctions import injunction_convoke
from notifications.models import Message
from tests import factories
from tests.helpers.injunctions import record, slot_on, today

pytestmark = pytest.mark.django_db


# --- Recording ----------------------------------------------------------------------------


def test_an_agent_records_an_order_for_their_site_and_it_is_audited(order, agent, walk_in):
    assert order.recorded_by == agent
    assert order.appointment is None
    assert injunction_state(order) == InjunctionState.OPEN
    row = AuditEvent.objects.get(action=AuditAction.INJUNCTION_RECORDED)
    assert row.actor == agent
    assert row.applicant_id == walk_in.pk
    assert row.details["injunction"] == order.pk
    assert row.details["case_number"] == "2612345"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"court": "  "}, "Enter the court that made the order."),
        ({"case_number": ""}, "Enter the case number of the order."),
        ({"case_number": "9" * 41}, "The case number is too long."),
        (
            {"ordered_on": date.today() + timedelta(days=3)},
            "The date of the order cannot be in the future.",
        ),
        (
            {
                "ordered_on": date.today() - timedelta(days=2),
                "deadline": date.today() - timedelta(days=3),
            },
            "The deadline to convoke cannot be before the date of the order.",
        ),
        ({"notes": "x" * 2001}, "The notes are too long."),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_is_written(
    agent, walk_in, procedure, site, changes, message
):
    with pytest.raises(errors.InvalidInjunction) as refused:
        record(agent, walk_in, procedure, site, **changes)

    with translation.override("fr"):
        assert refused.value.detail == translation.gettext(message)
    assert not Injunction.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.INJUNCTION_RECORDED).exists()


def test_an_agent_cannot_record_an_order_at_another_site(other_agent, walk_in, procedure, site):
    with pytest.raises(errors.InvalidInjunction):
        record(other_agent, walk_in, procedure, site)

    assert not Injunction.objects.exists()


def test_mediators_and_applicants_record_no_order(mediator, applicant, walk_in, procedure, site):
    for actor in (mediator, applicant.user):
        with pytest.raises(errors.NotAllowed):
            record(actor, walk_in, procedure, site)
    assert not Injunction.objects.exists()


def test_the_same_order_twice_is_refused(order, agent, walk_in, procedure, site):
    with pytest.raises(errors.InjunctionAlreadyRecorded):
        record(agent, walk_in, procedure, site, case_number=" 2612345 ")

    assert Injunction.objects.count() == 1


def test_the_database_holds_one_open_order_per_person_procedure_and_case(order):
    twin = Injunction(
        court=order.court,
        case_number=order.case_number,
        ordered_on=order.ordered_on,
        deadline=order.deadline,
        applicant=order.applicant,
        procedure=order.procedure,
        site=order.site,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_the_database_refuses_a_deadline_before_the_order(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        Injunction.objects.filter(pk=order.pk).update(deadline=order.ordered_on - timedelta(days=1))


# --- Serving it ---------------------------------------------------------------------------


def test_convoking_books_a_priority_time_before_the_deadline_and_links_it(
    order, agent, priority_slot
):
    served = injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)

    appointment = Appointment.objects.get()
    assert served.appointment == appointment
    assert served.convoked_by == agent
    assert appointment.slot == priority_slot
    assert appointment.channel == Channel.AGENT
    assert appointment.applicant == order.applicant
    assert injunction_state(Injunction.objects.get()) == InjunctionState.IN_TIME
    row = AuditEvent.objects.get(action=AuditAction.INJUNCTION_CONVOKED)
    assert row.appointment_id == appointment.pk
    assert row.details["in_time"] is True


def test_the_person_is_owed_the_confirmation_by_each_channel_they_have(order, agent, priority_slot):
    injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)

    owed = Message.objects.filter(appointment__isnull=False, template_key="appointment_booked")
    assert sorted(owed.values_list("channel", flat=True)) == ["email", "sms"]
    assert set(owed.values_list("destination", flat=True)) == {"+33612345678", "awa@example.test"}


def test_a_time_after_the_deadline_is_refused_and_nothing_is_booked(
    agent, walk_in, procedure, site
):
    order = record(agent, walk_in, procedure, site, deadline=today() + timedelta(days=4))
    late = slot_on(site, procedure, today() + timedelta(days=6))

    # The date is written in the active language's format: French here, whatever
    # another test left active.
    with translation.override("fr"), pytest.raises(errors.SlotAfterDeadline) as refused:
        injunction_convoke(actor=agent, injunction=order, slot_id=late.pk)

    assert refused.value.code == "slot_after_deadline"
    assert order.deadline.strftime("%d/%m/%Y") in refused.value.detail
    assert not Appointment.objects.exists()
    assert Injunction.objects.get().appointment is None
    late.refresh_from_db()
    assert late.booked == 0


def test_a_time_on_the_deadline_day_is_in_time(agent, walk_in, procedure, site):
    deadline = today() + timedelta(days=5)
    order = record(agent, walk_in, procedure, site, deadline=deadline)
    on_the_day = slot_on(site, procedure, deadline)

    injunction_convoke(actor=agent, injunction=order, slot_id=on_the_day.pk)

    assert injunction_state(Injunction.objects.get()) == InjunctionState.IN_TIME


def test_an_overdue_order_is_served_by_any_time_and_reads_late(agent, walk_in, procedure, site):
    order = record(
        agent,
        walk_in,
        procedure,
        site,
        ordered_on=today() - timedelta(days=30),
        deadline=today() - timedelta(days=1),
    )
    soonest = slot_on(site, procedure, today() + timedelta(days=3))

    injunction_convoke(actor=agent, injunction=order, slot_id=soonest.pk)

    assert injunction_state(Injunction.objects.get()) == InjunctionState.LATE
    assert (
        AuditEvent.objects.get(action=AuditAction.INJUNCTION_CONVOKED).details["in_time"] is False
    )


def test_a_served_order_is_not_served_twice(order, agent, priority_slot, site, procedure):
    injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)
    another = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)

    with pytest.raises(errors.InjunctionAlreadyServed):
        injunction_convoke(actor=agent, injunction=order, slot_id=another.pk)

    assert Appointment.objects.count() == 1


def test_a_time_of_another_site_or_procedure_answers_as_missing(order, agent, procedure):
    elsewhere = factories.SlotFactory(procedure=procedure, pool=Pool.PRIORITY)
    other_procedure = factories.SlotFactory(site=order.site, pool=Pool.PRIORITY)

    for slot in (elsewhere, other_procedure):
        with pytest.raises(errors.SlotNotFound):
            injunction_convoke(actor=agent, injunction=order, slot_id=slot.pk)
    with pytest.raises(errors.SlotNotFound):
        injunction_convoke(actor=agent, injunction=order, slot_id=10**12)
    assert not Appointment.objects.exists()


def test_a_full_time_refuses_and_leaves_the_order_open(order, agent, site, procedure):
    full = factories.SlotFactory(
        site=site, procedure=procedure, pool=Pool.PRIORITY, capacity=1, booked=1
    )

    with pytest.raises(errors.SlotFull):
        injunction_convoke(actor=agent, injunction=order, slot_id=full.pk)

    assert Injunction.objects.get().appointment is None
    assert not AuditEvent.objects.filter(action=AuditAction.INJUNCTION_CONVOKED).exists()


def test_the_person_already_booked_for_the_procedure_is_refused(
    order, agent, priority_slot, site, procedure
):
    public = factories.SlotFactory(site=site, procedure=procedure)
    appointment_book(actor=agent, applicant=order.applicant, slot_id=public.pk)

    with pytest.raises(errors.AlreadyBooked):
        injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)

    assert Injunction.objects.get().appointment is None


def test_an_agent_of_another_site_cannot_act_on_the_order(order, other_agent, priority_slot):
    with pytest.raises(errors.InjunctionNotFound):
        injunction_convoke(actor=other_agent, injunction=order, slot_id=priority_slot.pk)

    assert injunction_for_staff(user=other_agent, pk=order.pk) is None
    assert not Appointment.objects.exists()


# --- Cancelled: open again ------------------------------------------------------------------


def test_cancelling_the_appointment_opens_the_order_again(order, agent, priority_slot, site):
    injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)
    appointment = Appointment.objects.get()

    appointment_cancel(actor=agent, appointment=appointment)

    reopened = Injunction.objects.get()
    assert reopened.appointment is None
    assert reopened.convoked_at is None
    assert injunction_state(reopened) == InjunctionState.OPEN
    row = AuditEvent.objects.get(action=AuditAction.INJUNCTION_REOPENED)
    assert row.details["injunction"] == order.pk
    assert row.actor == agent
    # And it can be served again.
    again = factories.SlotFactory(site=site, procedure=order.procedure, pool=Pool.PRIORITY)
    injunction_convoke(actor=agent, injunction=reopened, slot_id=again.pk)
    assert Injunction.objects.get().appointment.slot == again


def test_a_cancelled_appointment_reads_not_served_even_if_still_linked(order, agent, priority_slot):
    """Whatever path cancels it: the states never count a cancelled appointment."""
    injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)
    Appointment.objects.update(status=AppointmentStatus.CANCELLED)

    linked = injunction_for_staff(user=agent, pk=order.pk)

    assert linked.appointment_id is not None
    assert injunction_state(linked) == InjunctionState.OPEN
    assert [row.state_value for row in injunctions_for(user=agent)] == [InjunctionState.OPEN]
    assert list(injunctions_not_served()) == [linked]


def test_cancelling_another_appointment_leaves_orders_alone(
    order, agent, priority_slot, applicant, site, procedure
):
    injunction_convoke(actor=agent, injunction=order, slot_id=priority_slot.pk)
    own = appointment_book(
        actor=applicant.user,
        applicant=applicant,
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )

    appointment_cancel(actor=applicant.user, appointment=own)

    assert Injunction.objects.get().appointment is not None


# --- Concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_agents_convoking_at_once_serve_the_order_once(site, procedure):
    from functools import partial

    from tests.helpers.racing import kinds, race

    agent = factories.AgentFactory(sites=[site])
    colleague = factories.AgentFactory(sites=[site])
    order = record(agent, factories.ApplicantFactory(user=None), procedure, site)
    slots = [slot_on(site, procedure, today() + timedelta(days=3), hour=9 + n) for n in range(2)]

    outcomes = race(
        [
            partial(injunction_convoke, actor=actor, injunction=order, slot_id=slot.pk)
            for actor, slot in zip((agent, colleague), slots, strict=True)
        ]
    )

    assert kinds(outcomes) == {"Injunction": 1, "InjunctionAlreadyServed": 1}
    assert Appointment.objects.count() == 1
    assert Injunction.objects.get().appointment == Appointment.objects.get()
    assert (
        sum(slot.booked for slot in type(slots[0]).objects.filter(pk__in=[s.pk for s in slots]))
        == 1
    )
