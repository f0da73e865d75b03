"""Reading appointments through the API: my own only, staff by site, bounded queries."""

from __future__ import annotations

import pytest

from booking.models import AppointmentStatus
from booking.services import appointment_book
from tests import factories
from tests.helpers.api_appointments import URL

pytestmark = pytest.mark.django_db


# --- Reading -----------------------------------------------------------------------


def test_list_shows_my_appointments_only(applicant_api, applicant, other_applicant, site):
    mine = appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=factories.SlotFactory(site=site).pk
    )
    appointment_book(
        actor=other_applicant.user,
        applicant=other_applicant,
        slot_id=factories.SlotFactory(site=site).pk,
    )

    response = applicant_api.get(URL)

    assert response.status_code == 200
    assert [a["reference"] for a in response.json()["results"]] == [mine.reference]


def test_detail_shows_my_appointment(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = applicant_api.get(f"{URL}{mine.reference}/")

    assert response.status_code == 200
    assert response.json()["reference"] == mine.reference


def test_detail_accepts_a_lowercase_reference(applicant_api, applicant, slot):
    mine = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = applicant_api.get(f"{URL}{mine.reference.lower()}/")

    assert response.status_code == 200


def test_someone_elses_appointment_is_not_found(applicant_api, other_applicant, slot):
    theirs = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )

    detail = applicant_api.get(f"{URL}{theirs.reference}/")
    cancel = applicant_api.post(f"{URL}{theirs.reference}/cancel/")
    reschedule = applicant_api.post(
        f"{URL}{theirs.reference}/reschedule/", {"slot": slot.pk}, format="json"
    )

    for response in (detail, cancel, reschedule):
        assert response.status_code == 404
        assert response.json()["code"] == "appointment_not_found"
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED


def test_someone_elses_appointment_looks_like_an_unknown_one(applicant_api, other_applicant, slot):
    theirs = appointment_book(
        actor=other_applicant.user, applicant=other_applicant, slot_id=slot.pk
    )

    existing = applicant_api.get(f"{URL}{theirs.reference}/")
    unknown = applicant_api.get(f"{URL}ZZZZZZZZ/")

    assert existing.status_code == unknown.status_code == 404
    assert existing.json() == unknown.json()


def test_agent_sees_the_appointments_of_their_site_only(
    agent_api, other_agent_api, applicant, slot
):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    assert agent_api.get(f"{URL}{appointment.reference}/").status_code == 200
    assert other_agent_api.get(f"{URL}{appointment.reference}/").status_code == 404
    assert other_agent_api.get(URL).json()["results"] == []


def test_list_takes_a_constant_number_of_queries(
    applicant_api, applicant, site, django_assert_max_num_queries
):
    for _ in range(6):
        slot = factories.SlotFactory(site=site, procedure=factories.ProcedureFactory())
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    with django_assert_max_num_queries(2):  # token, appointments
        response = applicant_api.get(URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 6
