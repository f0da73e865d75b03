"""The booking services write exactly one audit row per action, in the action's
transaction: who (account, e-mail, role), what, for whom, on which appointment,
from where; and none when they refuse."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from audit.context import client_ip_set
from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.models import Channel
from booking.services import (
    OpeningRange,
    applicant_create,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    slots_publish,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _only(action: str) -> AuditEvent:
    rows = list(AuditEvent.objects.all())
    assert [row.action for row in rows] == [action]
    return rows[0]


# --- appointment.booked -----------------------------------------------------------


def test_booking_writes_one_audit_row_with_actor_role_appointment_and_applicant(applicant, slot):
    with client_ip_set("203.0.113.7"):
        appointment = appointment_book(
            actor=applicant.user, applicant=applicant, slot_id=slot.pk, channel=Channel.API
        )

    row = _only(AuditAction.APPOINTMENT_BOOKED)
    assert row.actor_id == applicant.user_id
    assert row.actor_label == applicant.user.email
    assert row.actor_role == "applicant"
    assert row.applicant_id == applicant.pk
    assert row.appointment_id == appointment.pk
    assert row.appointment_reference == appointment.reference
    assert row.ip == "203.0.113.7"
    assert row.details == {"slot": slot.pk, "channel": "api"}


def test_booking_by_a_mediator_records_the_mediator_for_the_applicant(applicant, mediator, slot):
    applicant.access_point = mediator.access_point  # registered at the mediator's point
    applicant.save(update_fields=["access_point"])
    factories.ConsentFactory(applicant=applicant, mediator=mediator)
    appointment = appointment_book(
        actor=mediator, applicant=applicant, slot_id=slot.pk, channel=Channel.MEDIATION
    )

    row = _only(AuditAction.APPOINTMENT_BOOKED)
    assert (row.actor_id, row.actor_role) == (mediator.pk, "mediator")
    assert (row.applicant_id, row.appointment_id) == (applicant.pk, appointment.pk)


def test_refused_booking_writes_no_audit_row(applicant, slot):
    slot.booked = slot.capacity
    slot.save(update_fields=["booked"])

    with pytest.raises(errors.SlotFull):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert not AuditEvent.objects.exists()


def test_second_booking_for_the_same_procedure_writes_no_second_row(applicant, slot):
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    other = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with pytest.raises(errors.AlreadyBooked):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=other.pk)

    assert AuditEvent.objects.count() == 1


# --- appointment.cancelled --------------------------------------------------------


def test_cancellation_writes_one_audit_row(applicant, agent, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    appointment_cancel(actor=agent, appointment=appointment)

    rows = list(AuditEvent.objects.exclude(pk__in=before))
    assert [row.action for row in rows] == [AuditAction.APPOINTMENT_CANCELLED]
    row = rows[0]
    assert (row.actor_id, row.actor_role) == (agent.pk, "agent")
    assert (row.applicant_id, row.appointment_id) == (applicant.pk, appointment.pk)
    assert row.appointment_reference == appointment.reference


def test_refused_cancellation_writes_no_audit_row(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    appointment_cancel(actor=applicant.user, appointment=appointment)

    with pytest.raises(errors.AppointmentNotActive):
        appointment_cancel(actor=applicant.user, appointment=appointment)

    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_CANCELLED).count() == 1


# --- appointment.rescheduled ------------------------------------------------------


def test_reschedule_writes_one_audit_row_with_both_slots(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    later = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=later.pk)

    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_RESCHEDULED)
    assert (row.actor_id, row.actor_role) == (applicant.user_id, "applicant")
    assert (row.applicant_id, row.appointment_id) == (applicant.pk, appointment.pk)
    assert row.details == {
        "from_slot": slot.pk,
        "from_starts_at": slot.starts_at.isoformat(),
        "to_slot": later.pk,
        "to_starts_at": later.starts_at.isoformat(),
    }
    assert AuditEvent.objects.count() == 2  # booked, rescheduled


def test_refused_reschedule_writes_no_audit_row(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    full = factories.SlotFactory(site=slot.site, procedure=slot.procedure, capacity=1, booked=1)

    with pytest.raises(errors.SlotFull):
        appointment_reschedule(actor=applicant.user, appointment=appointment, new_slot_id=full.pk)

    assert not AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_RESCHEDULED).exists()


# --- slots.published --------------------------------------------------------------


def test_publishing_writes_one_audit_row_with_site_procedure_pools_and_counts(
    agent, site, procedure
):
    day = timezone.localdate() + timedelta(days=7)

    result = slots_publish(
        actor=agent,
        site=site,
        procedure=procedure,
        date_from=day,
        date_to=day,
        weekdays=range(7),
        opening_ranges=[OpeningRange(time(9), time(10))],
        counters=3,
        mediation_counters=1,
        slot_minutes=20,
    )

    row = _only(AuditAction.SLOTS_PUBLISHED)
    assert (row.actor_id, row.actor_role) == (agent.pk, "agent")
    assert row.applicant_id is None and row.appointment_id is None
    assert row.details["publication"] == result.publication.pk
    assert (row.details["site"], row.details["procedure"]) == (site.slug, procedure.slug)
    assert row.details["pools"] == {"public": 2, "mediation": 1}
    assert (row.details["slots_created"], row.details["seats_created"]) == (6, 9)
    assert row.details["skipped"] == 0


def test_refused_publication_writes_no_audit_row(other_agent, site, procedure):
    day = timezone.localdate() + timedelta(days=7)

    with pytest.raises(errors.NotAllowed):
        slots_publish(
            actor=other_agent,
            site=site,
            procedure=procedure,
            date_from=day,
            date_to=day,
            weekdays=range(7),
            opening_ranges=[OpeningRange(time(9), time(10))],
            counters=1,
        )

    assert not AuditEvent.objects.exists()


# --- identity.recorded ------------------------------------------------------------


def test_recording_an_identity_writes_one_audit_row(db):
    user = factories.UserFactory()

    applicant = applicant_create(actor=user, user=user, identity=factories.identity())

    row = _only(AuditAction.IDENTITY_RECORDED)
    assert (row.actor_id, row.actor_role) == (user.pk, "applicant")
    assert (row.subject_user_id, row.applicant_id) == (user.pk, applicant.pk)
    assert row.details == {"document_type": "agdref", "walk_in": False}


def test_a_mediator_recording_a_walk_in_is_audited(mediator):
    applicant = applicant_create(actor=mediator, user=None, identity=factories.identity())

    row = _only(AuditAction.IDENTITY_RECORDED)
    assert (row.actor_id, row.actor_role) == (mediator.pk, "mediator")
    assert row.subject_user_id is None
    assert row.applicant_id == applicant.pk
    assert row.details["walk_in"] is True


def test_refused_identity_writes_no_audit_row(mediator):
    applicant_create(actor=mediator, user=None, identity=factories.identity())

    with pytest.raises(errors.IdentityTaken):
        applicant_create(actor=mediator, user=None, identity=factories.identity())

    assert AuditEvent.objects.count() == 1
