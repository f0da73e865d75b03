"""On PostgreSQL a booking is one statement (``booking.statements``): the seat,
the appointment, its audit row and its outbox rows together, or nothing."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditAction, AuditEvent
from booking import errors, services
from booking.models import Appointment, AppointmentStatus, Slot
from booking.services import appointment_book
from notifications.models import Message
from tests import factories


def _booked(slot: Slot) -> int:
    slot.refresh_from_db(fields=["booked"])
    return slot.booked


@pytest.mark.django_db(transaction=True)
def test_booking_outside_a_transaction_writes_everything_in_one_statement(applicant, slot):
    with CaptureQueriesContext(connection) as queries:
        appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    sqls = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sqls if s.startswith(("BEGIN", "SAVEPOINT", "COMMIT"))]
    assert len([s for s in sqls if s.startswith("WITH applicant AS")]) == 1
    assert _booked(slot) == 1
    stored = Appointment.objects.get(pk=appointment.pk)
    assert stored.reference == appointment.reference
    assert stored.status == AppointmentStatus.BOOKED
    assert AuditEvent.objects.get(action=AuditAction.APPOINTMENT_BOOKED).appointment_id == stored.pk
    messages = Message.objects.filter(appointment=stored)
    assert sorted(messages.values_list("channel", flat=True)) == ["email", "sms"]
    assert all(f":{stored.pk}:" in m.idempotency_key for m in messages)


@pytest.mark.django_db(transaction=True)
def test_a_second_active_appointment_gives_the_seat_back_in_the_same_statement(applicant, slot):
    """The person is already booked (the pre-check was dropped): the INSERT
    fails, and with it the UPDATE that had taken the seat."""
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    other = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with pytest.raises(errors.AlreadyBooked) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=other.pk)

    assert refused.value.code == "already_booked"
    assert _booked(other) == 0
    assert Appointment.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_BOOKED).count() == 1
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_a_refusal_inside_the_callers_transaction_leaves_it_usable(applicant, slot):
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    other = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with transaction.atomic():
        with pytest.raises(errors.AlreadyBooked):
            appointment_book(actor=applicant.user, applicant=applicant, slot_id=other.pk)
        assert Slot.objects.filter(pk=other.pk, booked=0).exists()  # the transaction still works


@pytest.mark.django_db
def test_already_booked_wins_over_full_as_before(applicant, slot):
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    full = factories.SlotFactory(site=slot.site, procedure=slot.procedure, capacity=1, booked=1)

    with pytest.raises(errors.AlreadyBooked):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=full.pk)


@pytest.mark.django_db
def test_a_reference_collision_draws_another(applicant, other_applicant, slot, monkeypatch):
    first = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    drawn = iter([first.reference, "ABCDEFGH"])
    monkeypatch.setattr(services.bookings, "new_reference", lambda: next(drawn))

    second = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )

    assert second.reference == "ABCDEFGH"
    assert _booked(slot) == 2
    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_BOOKED).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("slot_id", [0, "abc", None])
def test_an_unknown_slot_is_not_found(applicant, slot_id):
    with pytest.raises(errors.SlotNotFound):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot_id)


@pytest.mark.django_db
def test_the_returned_appointment_has_its_slot_site_and_procedure_loaded(applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    with CaptureQueriesContext(connection) as queries:
        assert appointment.slot.site.pk == slot.site_id
        assert appointment.procedure.pk == slot.procedure_id
        assert appointment.slot.starts_at == slot.starts_at
    assert queries.captured_queries == []


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.mark.django_db(transaction=True)
def test_every_column_is_stored_as_the_instance_holds_it(applicant, slot):
    """Each row travels as one JSON object: times to the microsecond, JSON
    details and context, nulls, booleans and choices come back exactly."""
    from django.utils import timezone

    from audit.services import audit_event
    from booking import statements
    from booking.models import Channel
    from notifications import services as notifications

    now = timezone.now().replace(microsecond=123457)
    loaded = statements.slot_read(slot.pk).slot()
    appointment = services.bookings._appointment_new(
        actor=applicant.user, applicant=applicant, slot=loaded, channel=Channel.API, now=now
    )
    appointment.pk = statements.appointment_id_next()
    audit = audit_event(
        actor=applicant.user,
        action=AuditAction.APPOINTMENT_BOOKED,
        appointment=appointment,
        details={"slot": slot.pk, "nested": {"list": [1, "é", None], "flag": True}},
    )
    messages = notifications.appointment_messages(
        appointment=appointment, event=notifications.BOOKED, now=now
    )

    ids = statements.book(slot_id=slot.pk, appointment=appointment, audit=audit, messages=messages)

    assert _columns(Appointment.objects.get(pk=appointment.pk)) == _columns(appointment)
    assert Appointment.objects.get(pk=appointment.pk).created_at == now
    stored_audit = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_BOOKED)
    audit.pk = stored_audit.pk
    assert _columns(stored_audit) == _columns(audit)
    assert stored_audit.details["nested"] == {"list": [1, "é", None], "flag": True}
    assert ids == [m.pk for m in messages]
    for message in messages:
        assert _columns(Message.objects.get(pk=message.pk)) == _columns(message)


@pytest.mark.django_db
def test_a_slot_read_gives_its_seats_without_building_the_models(slot, django_assert_num_queries):
    from booking import statements

    with django_assert_num_queries(1):
        read = statements.slot_read(slot.pk)
        assert (read.booked, read.capacity, read.pool, read.published_at) == (
            slot.booked,
            slot.capacity,
            slot.pool,
            slot.published_at,
        )
        assert read._slot is None  # nothing built for a refusal on the seats
        loaded = read.slot()
        assert read.slot() is loaded
        assert (loaded.pk, loaded.site.name, loaded.procedure.slug) == (
            slot.pk,
            slot.site.name,
            slot.procedure.slug,
        )
    assert statements.slot_read(slot.pk + 1000) is None


@pytest.mark.django_db
def test_appointment_ids_come_in_blocks_unique_and_increasing(django_assert_num_queries):
    from booking import statements

    statements._ids.clear()
    with django_assert_num_queries(1):
        ids = [statements.appointment_id_next() for _ in range(statements.ID_BLOCK)]
    assert ids == sorted(set(ids))
    with django_assert_num_queries(1):
        assert statements.appointment_id_next() > ids[-1]
