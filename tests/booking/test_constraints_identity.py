"""The database keeps the identity on an appointment immutable but for its erasure past
retention, once (triggers of migrations 0002 and 0005): these tests bypass the services
on purpose."""

from __future__ import annotations

import importlib
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from booking.models import (
    ERASED_BIRTH_DATE,
    ERASED_KEY_PREFIX,
    ERASED_TEXT,
    Appointment,
    AppointmentStatus,
)
from tests import factories
from tests.helpers.db_constraints import refused, unsaved_appointment

pytestmark = pytest.mark.django_db


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
    appointment = unsaved_appointment(applicant, slot)
    appointment.save()

    with refused():
        Appointment.objects.filter(pk=appointment.pk).update(**{column: value})

    stored = Appointment.objects.get(pk=appointment.pk)
    assert getattr(stored, column) == getattr(appointment, column)


def test_appointment_cannot_be_moved_to_another_applicant(applicant, other_applicant, slot):
    appointment = unsaved_appointment(applicant, slot)
    appointment.save()

    with refused():
        Appointment.objects.filter(pk=appointment.pk).update(applicant=other_applicant)


def test_raw_sql_cannot_edit_the_identity_on_an_appointment(applicant, slot):
    appointment = unsaved_appointment(applicant, slot)
    appointment.save()

    with refused(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE booking_appointment SET surname = 'BROKER' WHERE id = %s", [appointment.pk]
        )

    assert Appointment.objects.get(pk=appointment.pk).surname == applicant.surname


def test_status_slot_and_bookkeeping_of_an_appointment_may_change(applicant, slot):
    appointment = unsaved_appointment(applicant, slot)
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
    appointment = unsaved_appointment(applicant, slot)
    appointment.save()

    appointment.status = AppointmentStatus.DONE
    appointment.save()

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.DONE


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
    appointment = unsaved_appointment(applicant, slot, AppointmentStatus.ENDED)
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
    appointment = unsaved_appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()

    with refused():
        Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment, **spoiled))

    assert Appointment.objects.get(pk=appointment.pk).surname == applicant.surname


def test_an_erasure_cannot_move_the_appointment_to_another_applicant(
    applicant, other_applicant, slot
):
    appointment = unsaved_appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()

    with refused():
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
    appointment = unsaved_appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()
    Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment))

    with refused():
        Appointment.objects.filter(pk=appointment.pk).update(**change)

    assert Appointment.objects.get(pk=appointment.pk).surname == ERASED_TEXT


@pytest.mark.parametrize("status", [AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN])
def test_an_active_appointment_cannot_be_erased(applicant, slot, status):
    """Its identity key holds the person's one place for the procedure."""
    appointment = unsaved_appointment(applicant, slot, status)
    appointment.save()

    with refused():
        Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment))
    with refused():  # nor closed and erased in one statement
        Appointment.objects.filter(pk=appointment.pk).update(
            **_erased(appointment), status=AppointmentStatus.ENDED
        )

    assert Appointment.objects.get(pk=appointment.pk).identity_key == applicant.identity_key


def test_an_erased_appointment_never_becomes_active_again(applicant, slot):
    appointment = unsaved_appointment(applicant, slot, AppointmentStatus.ENDED)
    appointment.save()
    Appointment.objects.filter(pk=appointment.pk).update(**_erased(appointment))

    with refused():
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.BOOKED)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.ENDED


def test_the_migration_and_the_models_agree_on_the_markers():
    assert ERASURE.ERASED_TEXT == ERASED_TEXT
    assert ERASED_BIRTH_DATE.isoformat() == ERASURE.ERASED_BIRTH_DATE
    assert ERASURE.ERASED_KEY_PREFIX == ERASED_KEY_PREFIX
