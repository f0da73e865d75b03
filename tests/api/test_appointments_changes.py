"""Cancelling and rescheduling through the API."""

from __future__ import annotations

import pytest

from booking.services import appointment_book
from tests import factories
from tests.helpers.api_appointments import URL, slot_moved_to_the_past

pytestmark = pytest.mark.django_db


# --- Cancelling --------------------------------------------------------------------


def test_cancel_frees_the_seat(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = applicant_api.post(f"{URL}{mine.reference}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    slot.refresh_from_db()
    assert slot.booked == 0


def test_cancelling_twice_gets_appointment_not_active(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    applicant_api.post(f"{URL}{mine.reference}/cancel/")

    response = applicant_api.post(f"{URL}{mine.reference}/cancel/")

    assert response.status_code == 409
    assert response.json()["code"] == "appointment_not_active"
    slot.refresh_from_db()
    assert slot.booked == 0


def test_cancelling_a_past_appointment_gets_appointment_past(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    slot_moved_to_the_past(slot)

    response = applicant_api.post(f"{URL}{mine.reference}/cancel/")

    assert response.status_code == 409
    assert response.json()["code"] == "appointment_past"


def test_staff_of_another_site_cannot_cancel_through_the_api(other_agent_api, applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = other_agent_api.post(f"{URL}{appointment.reference}/cancel/")

    assert response.status_code == 404
    assert response.json()["code"] == "appointment_not_found"
    appointment.refresh_from_db()
    assert appointment.is_active


# --- Rescheduling ------------------------------------------------------------------


def test_reschedule_moves_the_appointment_and_keeps_its_reference(
    applicant_api, applicant, site, procedure
):
    old, new = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=old.pk)

    response = applicant_api.post(
        f"{URL}{mine.reference}/reschedule/", {"slot": new.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["reference"] == mine.reference
    assert response.json()["slot"]["id"] == new.pk
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.booked, new.booked) == (0, 1)


def test_reschedule_to_the_same_slot_gets_same_slot(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = applicant_api.post(
        f"{URL}{mine.reference}/reschedule/", {"slot": slot.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "same_slot"


def test_reschedule_to_another_procedure_gets_slot_not_found(applicant_api, applicant, site, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    elsewhere = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())

    response = applicant_api.post(
        f"{URL}{mine.reference}/reschedule/", {"slot": elsewhere.pk}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "slot_not_found"


def test_reschedule_to_a_full_slot_keeps_the_old_appointment(
    applicant_api, applicant, site, procedure
):
    old = factories.SlotFactory(site=site, procedure=procedure)
    full = factories.SlotFactory(site=site, procedure=procedure, capacity=1, booked=1)
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=old.pk)

    response = applicant_api.post(
        f"{URL}{mine.reference}/reschedule/", {"slot": full.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"
    mine.refresh_from_db()
    old.refresh_from_db()
    assert (mine.slot_id, old.booked) == (old.pk, 1)


def test_reschedule_of_a_cancelled_appointment_gets_appointment_not_active(
    applicant_api, applicant, site, procedure
):
    old, new = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=old.pk)
    applicant_api.post(f"{URL}{mine.reference}/cancel/")

    response = applicant_api.post(
        f"{URL}{mine.reference}/reschedule/", {"slot": new.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "appointment_not_active"


def test_reschedule_without_a_slot_is_invalid(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = applicant_api.post(f"{URL}{mine.reference}/reschedule/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_reschedule_to_an_unknown_slot_gets_slot_not_found(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = applicant_api.post(
        f"{URL}{mine.reference}/reschedule/", {"slot": 987654321}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "slot_not_found"
