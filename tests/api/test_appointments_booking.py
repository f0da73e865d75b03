"""Booking through ``/api/v1/appointments/``: the answer, and each refusal with its code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Appointment, Pool, Slot
from tests import factories
from tests.helpers.api_appointments import URL, slot_moved_to_the_past
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db


def _book(client, slot):
    return client.post(URL, {"slot": slot.pk}, format="json")


# --- Booking -----------------------------------------------------------------------


def test_booking_returns_the_appointment_with_its_identity_snapshot(applicant_api, applicant, slot):
    response = _book(applicant_api, slot)

    assert response.status_code == 201
    appointment = Appointment.objects.get(applicant=applicant)
    assert response.json() == {
        "reference": appointment.reference,
        "status": "booked",
        "slot": {
            "id": slot.pk,
            "starts_at": timezone.localtime(slot.starts_at).isoformat(),
            "ends_at": timezone.localtime(slot.ends_at).isoformat(),
            "site": slot.site.slug,
            "procedure": slot.procedure.slug,
        },
        "applicant": {
            "surname": applicant.surname,
            "given_names": "Aminata",
            "birth_date": "1990-05-17",
            "nationality": "SN",
            "document_type": "agdref",
            "document_number": applicant.document_number,
        },
        "channel": "api",
        "created_at": timezone.localtime(appointment.created_at).isoformat(),
    }
    slot.refresh_from_db()
    assert slot.booked == 1


def test_booking_times_carry_the_paris_offset(applicant_api, slot):
    body = _book(applicant_api, slot).json()

    for value in (body["slot"]["starts_at"], body["slot"]["ends_at"], body["created_at"]):
        assert value[-6:] in ("+01:00", "+02:00"), value


def test_booking_shows_the_snapshot_not_the_current_identity(applicant_api, applicant, slot):
    booked_as = applicant.surname
    reference = _book(applicant_api, slot).json()["reference"]
    applicant.surname = "Renamed"
    applicant.save(update_fields=["surname"])

    body = applicant_api.get(f"{URL}{reference}/").json()

    assert body["applicant"]["surname"] == booked_as


def test_booking_a_full_slot_gets_slot_full(applicant_api, site, procedure):
    full = factories.SlotFactory(site=site, procedure=procedure, capacity=1, booked=1)

    response = _book(applicant_api, full)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"


def test_booking_twice_for_a_procedure_gets_already_booked(applicant_api, site, procedure):
    first, second = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)
    assert _book(applicant_api, first).status_code == 201

    response = _book(applicant_api, second)

    assert response.status_code == 409
    assert response.json()["code"] == "already_booked"
    second.refresh_from_db()
    assert second.booked == 0


def test_booking_an_unknown_slot_gets_slot_not_found(applicant_api, applicant):
    response = applicant_api.post(URL, {"slot": 987654321}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "slot_not_found"


def test_booking_an_unpublished_slot_gets_slot_not_found(applicant_api, slot):
    Slot.objects.filter(pk=slot.pk).update(published_at=timezone.now() + timedelta(days=1))

    response = _book(applicant_api, slot)

    assert response.status_code == 404
    assert response.json()["code"] == "slot_not_found"


def test_booking_a_past_slot_gets_slot_in_past(applicant_api, slot):
    slot_moved_to_the_past(slot)

    response = _book(applicant_api, slot)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_in_past"


def test_booking_after_the_cutoff_gets_booking_closed(applicant_api, site, procedure):
    soon = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=timezone.now() + timedelta(hours=1)
    )

    response = _book(applicant_api, soon)

    assert response.status_code == 409
    assert response.json()["code"] == "booking_closed"


def test_booking_beyond_the_horizon_gets_slot_not_found(applicant_api, site, procedure):
    far = factories.SlotFactory(
        site=site,
        procedure=procedure,
        starts_at=timezone.now() + timedelta(days=procedure.horizon_days + 1),
    )

    response = _book(applicant_api, far)

    assert response.status_code == 404
    assert response.json()["code"] == "slot_not_found"


def test_applicant_booking_a_mediation_slot_gets_slot_not_found(applicant_api, site, procedure):
    reserved = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.MEDIATION)

    response = _book(applicant_api, reserved)

    assert response.status_code == 404
    assert response.json()["code"] == "slot_not_found"


def test_booking_a_staff_only_procedure_gets_procedure_not_self_bookable(applicant_api, site):
    staff_only = factories.SlotFactory(
        site=site, procedure=factories.ProcedureFactory(self_booking=False)
    )

    response = _book(applicant_api, staff_only)

    assert response.status_code == 403
    assert response.json()["code"] == "procedure_not_self_bookable"


def test_booking_with_the_wrong_document_gets_document_not_accepted(applicant_api, site):
    passport_only = factories.SlotFactory(
        site=site, procedure=factories.ProcedureFactory(required_document="passport")
    )

    response = _book(applicant_api, passport_only)

    assert response.status_code == 409
    assert response.json()["code"] == "document_not_accepted"


def test_booking_a_closed_procedure_gets_procedure_unavailable(applicant_api, slot):
    slot.procedure.is_active = False
    slot.procedure.save(update_fields=["is_active"])

    response = _book(applicant_api, slot)

    assert response.status_code == 409
    assert response.json()["code"] == "procedure_unavailable"


def test_booking_without_an_identity_gets_identity_missing(slot):
    client = token_client(factories.UserFactory())

    response = _book(client, slot)

    assert response.status_code == 409
    assert response.json()["code"] == "identity_missing"


def test_booking_without_a_slot_is_invalid(applicant_api):
    response = applicant_api.post(URL, {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "slot" in response.json()["fields"]


@pytest.mark.parametrize("value", ["abc", 1.5, None, [1], 2**64, 2**63, 0, -1, True])
def test_booking_with_a_non_integer_slot_is_invalid(applicant_api, value):
    response = applicant_api.post(URL, {"slot": value}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("persona", ["mediator", "agent", "supervisor"])
def test_staff_book_only_for_a_person_they_name(request, persona, slot):
    client = token_client(request.getfixturevalue(persona))

    response = _book(client, slot)

    assert response.status_code == 400
    assert "applicant" in response.json()["fields"]
    assert not Appointment.objects.exists()


def test_booking_needs_authentication(anonymous_api, slot):
    response = _book(anonymous_api, slot)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
