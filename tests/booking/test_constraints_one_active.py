"""The database refuses a second active appointment per person and procedure, whatever
code talks to it: these tests bypass the services on purpose."""

from __future__ import annotations

import pytest

from booking.models import Appointment, AppointmentStatus
from tests import factories
from tests.helpers.db_constraints import appointment_fields, refused, unsaved_appointment

pytestmark = pytest.mark.django_db


# --- One active appointment per person and procedure ---------------------------------


def test_second_active_appointment_for_one_identity_is_refused_on_create(applicant, slot):
    unsaved_appointment(applicant, slot).save()
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with refused():
        Appointment.objects.create(**appointment_fields(applicant, other_slot))

    assert Appointment.objects.filter(identity_key=applicant.identity_key).count() == 1


def test_second_active_appointment_for_one_identity_is_refused_in_bulk(applicant, slot):
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with refused():
        Appointment.objects.bulk_create(
            [unsaved_appointment(applicant, slot), unsaved_appointment(applicant, other_slot)]
        )

    assert Appointment.objects.count() == 0


def test_checked_in_and_booked_for_one_identity_are_refused(applicant, slot):
    unsaved_appointment(applicant, slot, status=AppointmentStatus.CHECKED_IN).save()

    with refused():
        unsaved_appointment(applicant, slot).save()


def test_reactivating_a_cancelled_appointment_beside_an_active_one_is_refused(applicant, slot):
    old = unsaved_appointment(applicant, slot, status=AppointmentStatus.CANCELLED)
    old.save()
    unsaved_appointment(applicant, slot).save()

    with refused():
        Appointment.objects.filter(pk=old.pk).update(status=AppointmentStatus.BOOKED)


@pytest.mark.parametrize(
    "past_status",
    [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW, AppointmentStatus.DONE],
)
def test_inactive_appointments_do_not_block_a_new_active_one(applicant, slot, past_status):
    unsaved_appointment(applicant, slot, status=past_status).save()
    unsaved_appointment(applicant, slot, status=past_status).save()

    unsaved_appointment(applicant, slot).save()

    assert Appointment.objects.filter(identity_key=applicant.identity_key).count() == 3
    assert (
        Appointment.objects.filter(identity_key=applicant.identity_key, status="booked").count()
        == 1
    )


def test_one_identity_may_hold_one_active_appointment_per_procedure(applicant, slot):
    other_procedure_slot = factories.SlotFactory(site=slot.site)

    Appointment.objects.bulk_create(
        [unsaved_appointment(applicant, slot), unsaved_appointment(applicant, other_procedure_slot)]
    )

    assert Appointment.objects.filter(status="booked").count() == 2


def test_two_appointments_with_one_reference_are_refused(applicant, other_applicant, slot):
    first = unsaved_appointment(applicant, slot)
    first.save()

    with refused():
        unsaved_appointment(other_applicant, slot, reference=first.reference).save()


def test_second_active_appointment_for_one_record_is_refused_whatever_its_key(applicant, slot):
    """An agent's correction changes a record's identity key; the record still
    holds one active appointment per procedure."""
    unsaved_appointment(applicant, slot).save()
    other_slot = factories.SlotFactory(site=slot.site, procedure=slot.procedure)

    with refused():
        Appointment.objects.create(
            **appointment_fields(applicant, other_slot, identity_key="k" * 64)
        )

    assert Appointment.objects.filter(applicant=applicant).count() == 1
