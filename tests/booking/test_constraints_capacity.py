"""The database itself refuses what would break the fairness rules, whatever
code talks to it: these tests bypass the services on purpose."""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from booking.models import (
    ERASED_BIRTH_DATE,
    ERASED_KEY_PREFIX,
    ERASED_TEXT,
    Appointment,
    AppointmentStatus,
    Channel,
    Slot,
    new_reference,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _fields(applicant, slot, status=AppointmentStatus.BOOKED, **overrides) -> dict:
    """The columns of an appointment row written by hand, as careless code would."""
    return {
        "reference": new_reference(),
        "slot": slot,
        "procedure_id": slot.procedure_id,
        "applicant": applicant,
        "identity_key": applicant.identity_key,
        "surname": applicant.surname,
        "given_names": applicant.given_names,
        "birth_date": applicant.birth_date,
        "nationality": applicant.nationality,
        "document_type": applicant.document_type,
        "document_number": applicant.document_number,
        "channel": Channel.WEB,
        "booked_by_role": "applicant",
        "status": status,
        **overrides,
    }


def _appointment(applicant, slot, status=AppointmentStatus.BOOKED, **overrides) -> Appointment:
    return Appointment(**_fields(applicant, slot, status, **overrides))


@contextmanager
def _refused():
    """Expect an IntegrityError, inside a savepoint so that the test can go on."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


# --- Capacity ------------------------------------------------------------------------


def test_raw_sql_cannot_book_a_slot_beyond_its_capacity(slot):
    with _refused(), connection.cursor() as cursor:
        cursor.execute("UPDATE booking_slot SET booked = capacity + 1 WHERE id = %s", [slot.pk])

    slot.refresh_from_db()
    assert slot.booked == 0


def test_orm_update_cannot_book_a_slot_beyond_its_capacity(slot):
    Slot.objects.filter(pk=slot.pk).update(booked=F("capacity"))

    with _refused():
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)

    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 3


def test_lowering_capacity_below_the_bookings_is_refused(slot):
    Slot.objects.filter(pk=slot.pk).update(booked=2)

    with _refused():
        Slot.objects.filter(pk=slot.pk).update(capacity=1)

    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (3, 2)


def test_booked_count_cannot_go_negative(slot):
    with _refused(), connection.cursor() as cursor:
        cursor.execute("UPDATE booking_slot SET booked = booked - 1 WHERE id = %s", [slot.pk])


def test_slot_cannot_end_before_it_starts(site, procedure):
    starts_at = timezone.now() + timedelta(days=2)

    with _refused():
        factories.SlotFactory(
            site=site, procedure=procedure, starts_at=starts_at, ends_at=starts_at
        )


def test_two_slots_of_one_pool_at_the_same_time_are_refused(slot):
    with _refused():
        factories.SlotFactory(
            site=slot.site, procedure=slot.procedure, pool=slot.pool, starts_at=slot.starts_at
        )

    assert Slot.objects.filter(starts_at=slot.starts_at).count() == 1


# --- One active appointment per person and procedure ---------------------------------


def test_second_active_appointment_for_one_identity_is_refused_on_create(applicant, slot):
    _appointment(applicant, slot).save()
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with _refused():
        Appointment.objects.create(**_fields(applicant, other_slot))

    assert Appointment.objects.filter(identity_key=applicant.identity_key).count() == 1


def test_second_active_appointment_for_one_identity_is_refused_in_bulk(applicant, slot):
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with _refused():
        Appointment.objects.bulk_create(
            [_appointment(applicant, slot), _appointment(applicant, other_slot)]
        )

    assert Appointment.objects.count() == 0


def test_checked_in_and_booked_for_one_identity_are_refused(applicant, slot):
    _appointment(applicant, slot, status=AppointmentStatus.CHECKED_IN).save()

    with _refused():
        _appointment(applicant, slot).save()


def test_reactivating_a_cancelled_appointment_beside_an_active_one_is_refused(applicant, slot):
    old = _appointment(applicant, slot, status=AppointmentStatus.CANCELLED)
    old.save()
    _appointment(applicant, slot).save()

    with _refused():
        Appointment.objects.filter(pk=old.pk).update(status=AppointmentStatus.BOOKED)


@pytest.mark.parametrize(
    "past_status",
    [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW, AppointmentStatus.DONE],
)
def test_inactive_appointments_do_not_block_a_new_active_one(applicant, slot, past_status):
    _appointment(applicant, slot, status=past_status).save()
    _appointment(applicant, slot, status=past_status).save()

    _appointment(applicant, slot).save()

    assert Appointment.objects.filter(identity_key=applicant.identity_key).count() == 3
    assert (
        Appointment.objects.filter(identity_key=applicant.identity_key, status="booked").count()
        == 1
    )


def test_one_identity_may_hold_one_active_appointment_per_procedure(applicant, slot):
    other_procedure_slot = factories.SlotFactory(site=slot.site)

    Appointment.objects.bulk_create(
        [_appointment(applicant, slot), _appointment(applicant, other_procedure_slot)]
    )

    assert Appointment.objects.filter(status="booked").count() == 2


def test_two_appointments_with_one_reference_are_refused(applicant, other_applicant, slot):
    first = _appointment(applicant, slot)
    first.save()

    with _refused():
        _appointment(other_applicant, slot, reference=first.reference).save()


# --- The identity on an appointment is immutable (trigger of migration 0002)... ------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("surname", "X"),
        ("given_names", "Y"),
        ("birth_date", date(1970, 1, 1)),
        ("nationality", "FR"),
        ("document_type", "passport"),
        ("document_number", "0000000000"),
        ("identity_key", "agdref:0000000000"),
    ],
)
def test_identity_columns_of_an_appointment_cannot_be_updated(applicant, slot, column, value):
    appointment = _appointment(applicant, slot)
    appointment.save()

    with _refused():
        Appointment.objects.filter(pk=appointment.pk).update(**{column: value})

    stored = Appointment.objects.get(pk=appointment.pk)
    assert getattr(stored, column) == getattr(appointment, column)


def test_appointment_cannot_be_moved_to_another_applicant(applicant, other_applicant, slot):
    appointment = _appointment(applicant, slot)
    appointment.save()

    with _refused():
        Appointment.objects.filter(pk=appointment.pk).update(applicant=other_applicant)


def test_raw_sql_cannot_edit_the_identity_on_an_appointment(applicant, slot):
    appointment = _appointment(applicant, slot)
    appointment.save()

    with _refused(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE booking_appointment SET surname = 'BROKER' WHERE id = %s", [appointment.pk]
        )

    assert Appointment.objects.get(pk=appointment.pk).surname == applicant.surname


def test_status_slot_and_bookkeeping_of_an_appointment_may_change(applicant, slot):
    appointment = _appointment(applicant, slot)
    appointment.save()
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    updated = Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CHECKED_IN,
        slot=other_slot,
        reschedule_count=F("reschedule_count") + 1,
        updated_at=timezone.now(),
    )

    assert updated == 1
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.status, stored.slot_id, stored.reschedule_count) == (
        "checked_in",
        other_slot.pk,
        1,
    )


def test_saving_an_appointment_unchanged_is_allowed(applicant, slot):
    """A full ``save()`` writes the identity columns again with the same values."""
    appointment = _appointment(applicant, slot)
    appointment.save()

    appointment.status = AppointmentStatus.DONE
    appointment.save()

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.DONE


def test_second_active_appointment_for_one_record_is_refused_whatever_its_key(applicant, slot):
    """An agent's correction changes a record's identity key; the record still
    holds one active appointment per procedure."""
    _appointment(applicant, slot).save()
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with _refused():
        Appointment.objects.create(**_fields(applicant, other_slot, identity_key="k" * 64))

    assert Appointment.objects.filter(applicant=applicant).count() == 1


# --- ...except its erasure past retention, once (trigger of migration 0005) -----------

ERASURE = importlib.import_module("booking.migrations.0005_appointment_identity_erasure")


def _erased(appointment: Appointment, **overrides) -> dict:
    """The one change the trigger lets through, with ``overrides`` spoiling it."""
    return {
        "identity_key": f"{ERASED_KEY_PREFIX}{appointment.pk}",
        "surname": ERASED_TEXT,
        "given_names": ERASED_TEXT,
        "birth_date": ERASED_BIRTH_DATE,
        "document_number": ERASED_TEXT,
        "identity_erased_at": timezone.now(),
        **overrides,
    }


def test_the_identity_on_an_appointment_may_be_erased_to_the_markers(applicant, slot):
    appointment = _appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()

    Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment))

    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.surname, stored.given_names, stored.document_number) == ("-", "-", "-")
    assert stored.birth_date == ERASED_BIRTH_DATE
    assert stored.identity_key == f"erased:{appointment.pk}"
    # What is no person's stays: statistics.
    assert (stored.nationality, stored.document_type) == (
        applicant.nationality,
        applicant.document_type,
    )
    assert stored.applicant_id == applicant.pk


@pytest.mark.parametrize(
    "spoiled",
    [
        {"surname": "BROKER"},  # a new identity passed off as an erasure
        {"given_names": "Moussa"},
        {"birth_date": date(1980, 1, 1)},
        {"document_number": "0000000000"},
        {"identity_key": "erased:1"},  # another row's key
        {"identity_key": "agdref:0000000000"},
        {"nationality": "FR"},
        {"document_type": "passport"},
        {"identity_erased_at": None},  # the markers without saying so
    ],
    ids=lambda spoiled: next(iter(spoiled)),
)
def test_an_erasure_that_is_not_exactly_the_markers_is_refused(applicant, slot, spoiled):
    appointment = _appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()

    with _refused():
        Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment, **spoiled))

    assert Appointment.objects.get(pk=appointment.pk).surname == applicant.surname


def test_an_erasure_cannot_move_the_appointment_to_another_applicant(
    applicant, other_applicant, slot
):
    appointment = _appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()

    with _refused():
        Appointment.objects.filter(pk=appointment.pk).update(
            **_erased(appointment), applicant=other_applicant
        )


@pytest.mark.parametrize(
    "change",
    [
        {"surname": "BROKER"},  # a person given to an erased booking
        {"identity_key": "agdref:0000000000"},
        {"identity_erased_at": None},  # undoing it
        {"identity_erased_at": timezone.now() + timedelta(days=1)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_erased_identity_never_changes_again(applicant, slot, change):
    appointment = _appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()
    Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment))

    with _refused():
        Appointment.objects.filter(pk=appointment.pk).update(**change)

    assert Appointment.objects.get(pk=appointment.pk).surname == ERASED_TEXT


@pytest.mark.parametrize("status", [AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN])
def test_an_active_appointment_cannot_be_erased(applicant, slot, status):
    """Its identity key holds the person's one place for the procedure."""
    appointment = _appointment(applicant, slot, status)
    appointment.save()

    with _refused():
        Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment))
    with _refused():  # nor closed and erased in one statement
        Appointment.objects.filter(pk=appointment.pk).update(
            **_erased(appointment), status=AppointmentStatus.ENDED
        )

    assert Appointment.objects.get(pk=appointment.pk).identity_key == applicant.identity_key


def test_an_erased_appointment_never_becomes_active_again(applicant, slot):
    appointment = _appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()
    Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment))

    with _refused():
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.BOOKED)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.ENDED


def test_the_migration_and_the_models_agree_on_the_markers():
    assert ERASURE.ERASED_TEXT == ERASED_TEXT
    assert ERASED_BIRTH_DATE.isoformat() == ERASURE.ERASED_BIRTH_DATE
    assert ERASURE.ERASED_KEY_PREFIX == ERASED_KEY_PREFIX
