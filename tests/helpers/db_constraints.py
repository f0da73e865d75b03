"""Appointment rows written by hand, as careless code would, and the database refusing them."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from booking.models import Appointment, AppointmentStatus, Channel, new_reference


def appointment_fields(applicant, slot, status=AppointmentStatus.BOOKED, **overrides) -> dict:
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


def unsaved_appointment(
    applicant, slot, status=AppointmentStatus.BOOKED, **overrides
) -> Appointment:
    """An appointment of those columns, not saved: the test saves it, or not."""
    return Appointment(**appointment_fields(applicant, slot, status, **overrides))


@contextmanager
def refused():
    """Expect an IntegrityError, inside a savepoint so that the test can go on."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield
