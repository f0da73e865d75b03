"""Every booking error has its stable code and status."""

from __future__ import annotations

import pytest

from booking import errors

pytestmark = pytest.mark.django_db


# --- The stable codes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (errors.SlotNotFound, "slot_not_found", 404),
        (errors.AppointmentNotFound, "appointment_not_found", 404),
        (errors.SlotFull, "slot_full", 409),
        (errors.AlreadyBooked, "already_booked", 409),
        (errors.SlotInPast, "slot_in_past", 409),
        (errors.BookingClosed, "booking_closed", 409),
        (errors.ProcedureNotSelfBookable, "procedure_not_self_bookable", 403),
        (errors.ProcedureUnavailable, "procedure_unavailable", 409),
        (errors.DocumentNotAccepted, "document_not_accepted", 409),
        (errors.NotAllowed, "not_allowed", 403),
        (errors.AppointmentNotActive, "appointment_not_active", 409),
        (errors.IdentityChanged, "identity_changed", 409),
        (errors.SameSlot, "same_slot", 409),
        (errors.InvalidPublication, "invalid_publication", 400),
        (errors.AppointmentPast, "appointment_past", 409),
        (errors.IdentityMissing, "identity_missing", 409),
        (errors.InvalidIdentity, "invalid_identity", 400),
        (errors.IdentityTaken, "identity_taken", 409),
    ],
)
def test_every_booking_error_has_its_stable_code(error, code, status):
    raised = error(required="Passport") if error is errors.DocumentNotAccepted else error()

    assert (raised.code, raised.status) == (code, status)
    assert raised.detail  # a message for people, never empty
