"""Random sequences of publish / book / cancel / reschedule keep the invariants.

A Hypothesis state machine drives the real services against PostgreSQL and
keeps a model of what each call must do: which typed error it raises, or which
seats and appointments it changes. After every step the database must agree
with the model, and hold the invariants on its own:
- on every slot, ``booked`` equals its active appointments and stays within
  ``0 .. capacity``;
- each identity has at most one active appointment per procedure.
A refused call changes nothing: the model does not move, so the comparison
catches any stray write.

Each example runs inside a savepoint that ``teardown`` rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from booking import errors
from booking.models import (
    ACTIVE_STATUSES,
    Applicant,
    Appointment,
    AppointmentStatus,
    Pool,
    Procedure,
    RequiredDocument,
    Slot,
)
from booking.services import (
    OpeningRange,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    slots_publish,
)
from tests import factories

POOLS_BY_ROLE = {
    "applicant": {Pool.PUBLIC},
    "mediator": {Pool.PUBLIC, Pool.MEDIATION},
    "agent": {Pool.PUBLIC, Pool.MEDIATION, Pool.PRIORITY},
}
# Who acts for the person: themself, staff, or someone who may not: another
# applicant ("stranger"), a mediator of another access point, an agent of another site.
ACTORS = st.sampled_from(
    ("self", "self", "mediator", "agent", "agent", "stranger", "other_mediator", "other_agent")
)
OUTSIDERS = ("stranger", "other_mediator", "other_agent")
PEOPLE = 4


@dataclass
class ModelSlot:
    procedure: Procedure
    pool: str
    capacity: int
    hidden: bool
    booked: int = 0


@dataclass
class ModelAppointment:
    person: int
    slot_id: int
    status: str = AppointmentStatus.BOOKED


class BookingMachine(RuleBasedStateMachine):
    slots = Bundle("slots")
    appointments = Bundle("appointments")

    def __init__(self) -> None:
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.site = factories.SiteFactory()
        self.agent = factories.AgentFactory(sites=[self.site])
        self.other_agent = factories.AgentFactory(sites=[factories.SiteFactory()])
        self.mediator = factories.MediatorFactory()
        self.other_mediator = factories.MediatorFactory()
        # Open to all; and one that only staff book, for passports only.
        self.open_procedure = factories.ProcedureFactory()
        self.staff_procedure = factories.ProcedureFactory(
            self_booking=False, required_document=RequiredDocument.PASSPORT
        )
        # Registered at the mediator's access point, with their consent: its
        # mediators act for them.
        point = self.mediator.access_point
        self.people: list[Applicant] = [
            factories.ApplicantFactory(access_point=point) for _ in range(2)
        ] + [
            factories.ApplicantFactory(
                document_type="passport", document_number=f"PA{n:06d}", access_point=point
            )
            for n in range(2)
        ]
        for person in self.people:
            factories.ConsentFactory(applicant=person, mediator=self.mediator)
        self.model_slots: dict[int, ModelSlot] = {}
        self.model_appointments: dict[int, ModelAppointment] = {}
        self.published: set[tuple[int, object]] = set()  # (procedure, start)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------

    def _actor(self, kind: str, person: int):
        return {
            "self": self.people[person].user,
            "mediator": self.mediator,
            "agent": self.agent,
            "stranger": self.people[(person + 1) % PEOPLE].user,
            "other_mediator": self.other_mediator,
            "other_agent": self.other_agent,
        }[kind]

    def _has_active(self, person: int, procedure: Procedure) -> bool:
        return any(
            a.person == person
            and a.status in ACTIVE_STATUSES
            and self.model_slots[a.slot_id].procedure == procedure
            for a in self.model_appointments.values()
        )

    @staticmethod
    def _hidden_refusal(role: str, slot: ModelSlot):
        """What the actor may not see answers as a missing slot, before any
        other rule (``booking.rules``)."""
        if slot.hidden and role != "agent":
            return errors.SlotNotFound
        if slot.pool not in POOLS_BY_ROLE[role]:
            return errors.SlotNotFound
        return None

    def _booking_refusal(self, kind: str, person: int, slot: ModelSlot):
        """The first rule of ``_check_bookable`` that ``kind`` breaks, if any."""
        role = {"self": "applicant", "mediator": "mediator", "agent": "agent"}[kind]
        if hidden := self._hidden_refusal(role, slot):
            return hidden
        if role == "applicant" and not slot.procedure.self_booking:
            return errors.ProcedureNotSelfBookable
        if not slot.procedure.accepts(self.people[person].document_type):
            return errors.DocumentNotAccepted
        return None

    def _expect(self, refusal, call):
        """Run ``call``; it must raise ``refusal`` (and then change nothing) or succeed."""
        event(f"{call.func.__name__}: {refusal.code if refusal else 'done'}")
        if refusal is None:
            return call()
        with pytest.raises(refusal) as refused:
            call()
        assert refused.value.code == refusal.code
        return None

    # --- rules -----------------------------------------------------------------

    def _publish(self, *, procedure, actor, day, hour, counters, mediation, priority, hidden):
        now = timezone.now()
        starts = [
            timezone.make_aware(
                datetime.combine(timezone.localdate(now) + timedelta(days=day), time(hour))
            )
            + timedelta(minutes=20 * i)
            for i in range(2)
        ]
        pools = [
            (Pool.PUBLIC, counters - mediation - priority),
            (Pool.MEDIATION, mediation),
            (Pool.PRIORITY, priority),
        ]
        pools = [(pool, capacity) for pool, capacity in pools if capacity > 0]
        refusal = None
        if actor == self.other_agent:
            refusal = errors.NotAllowed
        elif mediation + priority > counters:
            refusal = errors.InvalidPublication
        result = self._expect(
            refusal,
            partial(
                slots_publish,
                actor=actor,
                site=self.site,
                procedure=procedure,
                date_from=starts[0].date(),
                date_to=starts[0].date(),
                weekdays=range(7),
                opening_ranges=[OpeningRange(time(hour), time(hour, 40))],
                counters=counters,
                mediation_counters=mediation,
                priority_counters=priority,
                visible_at=now + timedelta(days=1) if hidden else None,
            ),
        )
        if result is None:
            return multiple()
        new_times = [s for s in starts if (procedure.pk, s) not in self.published]
        assert result.created == len(new_times) * len(pools)
        assert result.skipped == (len(starts) - len(new_times)) * len(pools)
        created = list(Slot.objects.filter(publication=result.publication))
        assert {(s.starts_at, s.pool, s.capacity) for s in created} == {
            (start, pool, capacity) for start in new_times for pool, capacity in pools
        }
        for s in created:
            self.model_slots[s.pk] = ModelSlot(procedure, s.pool, s.capacity, hidden)
        self.published |= {(procedure.pk, start) for start in new_times}
        return multiple(*(s.pk for s in created))

    @initialize(target=slots)
    def publish_a_single_counter(self):
        """At least one capacity-1 slot open to applicants, from the start."""
        return self._publish(
            procedure=self.open_procedure,
            actor=self.agent,
            day=1,
            hour=9,
            counters=1,
            mediation=0,
            priority=0,
            hidden=False,
        )

    @rule(
        target=slots,
        staff_only=st.booleans(),
        by_other_agent=st.integers(0, 5).map(lambda n: n == 0),
        day=st.integers(1, 3),
        hour=st.integers(9, 11),
        counters=st.integers(1, 3),
        mediation=st.integers(0, 2),
        priority=st.integers(0, 1),
        hidden=st.booleans(),
    )
    def publish(self, staff_only, by_other_agent, day, hour, counters, mediation, priority, hidden):
        return self._publish(
            procedure=self.staff_procedure if staff_only else self.open_procedure,
            actor=self.other_agent if by_other_agent else self.agent,
            day=day,
            hour=hour,
            counters=counters,
            mediation=mediation,
            priority=priority,
            hidden=hidden,
        )

    @rule(
        target=appointments,
        slot_id=slots,
        person=st.integers(0, PEOPLE - 1),
        kind=ACTORS,
    )
    def book(self, slot_id, person, kind):
        slot = self.model_slots[slot_id]
        if kind in OUTSIDERS:
            role = {"stranger": "applicant", "other_mediator": "mediator", "other_agent": "agent"}
            refusal = self._hidden_refusal(role[kind], slot) or errors.NotAllowed
        else:
            refusal = self._booking_refusal(kind, person, slot)
        if refusal is None and self._has_active(person, slot.procedure):
            refusal = errors.AlreadyBooked
        if refusal is None and slot.booked == slot.capacity:
            refusal = errors.SlotFull
        appointment = self._expect(
            refusal,
            partial(
                appointment_book,
                actor=self._actor(kind, person),
                applicant=self.people[person],
                slot_id=slot_id,
            ),
        )
        if appointment is None:
            return multiple()
        slot.booked += 1
        self.model_appointments[appointment.pk] = ModelAppointment(person, slot_id)
        return appointment

    @rule(appointment=appointments, kind=ACTORS)
    def cancel(self, appointment, kind):
        model = self.model_appointments[appointment.pk]
        refusal = None
        if kind in OUTSIDERS:
            refusal = errors.NotAllowed
        elif model.status != AppointmentStatus.BOOKED:
            refusal = errors.AppointmentNotActive
        # ``appointment`` is the copy from booking time: possibly stale, as a caller's is.
        self._expect(
            refusal,
            partial(
                appointment_cancel, actor=self._actor(kind, model.person), appointment=appointment
            ),
        )
        if refusal is None:
            model.status = AppointmentStatus.CANCELLED
            self.model_slots[model.slot_id].booked -= 1

    @rule(appointment=appointments, slot_id=slots, kind=ACTORS)
    def reschedule(self, appointment, slot_id, kind):
        model = self.model_appointments[appointment.pk]
        new = self.model_slots[slot_id]
        if kind in OUTSIDERS:
            refusal = errors.NotAllowed
        elif model.status != AppointmentStatus.BOOKED:
            refusal = errors.AppointmentNotActive
        elif slot_id == model.slot_id:
            refusal = errors.SameSlot
        elif new.procedure != self.model_slots[model.slot_id].procedure:
            refusal = errors.SlotNotFound
        else:
            refusal = self._booking_refusal(kind, model.person, new)
            if refusal is None and new.booked == new.capacity:
                refusal = errors.SlotFull
        moved = self._expect(
            refusal,
            partial(
                appointment_reschedule,
                actor=self._actor(kind, model.person),
                appointment=appointment,
                new_slot_id=slot_id,
            ),
        )
        if moved is not None:
            assert (moved.pk, moved.reference) == (appointment.pk, appointment.reference)
            self.model_slots[model.slot_id].booked -= 1
            new.booked += 1
            model.slot_id = slot_id

    # --- invariants ------------------------------------------------------------

    @invariant()
    def booked_counts_equal_active_appointments_within_capacity(self):
        rows = Slot.objects.annotate(
            active=Count("appointments", filter=Q(appointments__status__in=ACTIVE_STATUSES))
        ).values_list("pk", "booked", "active", "capacity")
        for pk, booked, active, capacity in rows:
            assert booked == active, f"slot {pk}: booked {booked}, active appointments {active}"
            assert 0 <= booked <= capacity
        assert {pk: booked for pk, booked, _, _ in rows} == {
            pk: slot.booked for pk, slot in self.model_slots.items()
        }

    @invariant()
    def one_active_appointment_per_identity_and_procedure(self):
        doubles = (
            Appointment.objects.filter(status__in=ACTIVE_STATUSES)
            .values("identity_key", "procedure")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not doubles.exists()

    @invariant()
    def appointments_are_where_the_model_says(self):
        stored = {
            pk: (slot_id, status)
            for pk, slot_id, status in Appointment.objects.values_list("pk", "slot_id", "status")
        }
        assert stored == {pk: (a.slot_id, a.status) for pk, a in self.model_appointments.items()}


@pytest.mark.django_db
def test_random_booking_sequences_keep_the_invariants():
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            database=None,  # no .hypothesis/ directory in the work tree
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
