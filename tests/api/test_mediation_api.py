"""The mediation API: finding a person by what they hold, walk-ins, consents,
and booking for someone through ``POST /api/v1/appointments/``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking.models import Appointment, AppointmentStatus, Pool
from booking.services import appointment_book
from mediation.models import Consent
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/mediation/applicants/"
APPOINTMENTS = "/api/v1/appointments/"


def _consents_url(person) -> str:
    return f"{PEOPLE}{person.pk}/consents/"


def _consent_body(**changes) -> dict:
    return {
        "given_by": "person",
        "method": "oral",
        "purposes": ["booking", "contact_sms"],
        "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        **changes,
    }


@pytest.fixture
def walk_in(mediator):
    return factories.ApplicantFactory(user=None, access_point=mediator.access_point)


@pytest.fixture
def stranger(db):
    """A walk-in of another access point."""
    return factories.ApplicantFactory(user=None, access_point=factories.AccessPointFactory())


# --- Finding a person ----------------------------------------------------------------


def test_a_mediator_finds_a_person_by_document_number_and_birth_date(mediator_api, stranger):
    response = mediator_api.get(
        PEOPLE,
        {
            "document_number": f" {stranger.document_number.lower()} ",
            "birth_date": stranger.birth_date.isoformat(),
        },
    )

    assert response.status_code == 200
    assert [person["id"] for person in response.json()] == [stranger.pk]
    assert response.json()[0]["consents"] == []


@pytest.mark.parametrize(
    "query",
    [
        lambda p: {"document_number": p.document_number, "birth_date": "1970-01-01"},
        lambda p: {"document_number": p.document_number[:-1], "birth_date": p.birth_date},
        lambda p: {"document_number": p.surname, "birth_date": p.birth_date},
    ],
    ids=["wrong birth date", "part of the number", "the name"],
)
def test_nothing_but_the_exact_pair_finds_anyone(mediator_api, stranger, query):
    response = mediator_api.get(PEOPLE, query(stranger))

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("missing", ["document_number", "birth_date"])
def test_both_halves_are_required(mediator_api, stranger, missing):
    query = {"document_number": stranger.document_number, "birth_date": stranger.birth_date}
    del query[missing]

    response = mediator_api.get(PEOPLE, query)

    assert response.status_code == 400
    assert missing in response.json()["fields"]


@pytest.mark.parametrize("persona", ["applicant_user", "agent", "supervisor"])
def test_only_mediators_search(request, persona, stranger):
    client = token_client(request.getfixturevalue(persona))

    response = client.get(
        PEOPLE, {"document_number": stranger.document_number, "birth_date": stranger.birth_date}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "mediators_only"


def test_the_search_is_rate_limited(mediator_api, stranger, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "people_find": {"account": (2, 3600)}}
    query = {"document_number": "X", "birth_date": "1990-01-01"}

    statuses = [mediator_api.get(PEOPLE, query).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- Walk-ins ---------------------------------------------------------------------------


def _walk_in_body(**changes) -> dict:
    return {
        "surname": "Traoré",
        "given_names": "Mariam",
        "birth_date": "1985-03-02",
        "nationality": "ML",
        "document_type": "passport",
        "document_number": "AB 123456",
        "phone": "06 12 34 56 78",
        **changes,
    }


def test_a_mediator_registers_a_walk_in_at_their_point(mediator_api, mediator):
    response = mediator_api.post(PEOPLE, _walk_in_body(), format="json")

    assert response.status_code == 201
    person = response.json()
    assert person["document_number"] == "AB123456"
    assert person["has_account"] is False
    row = AuditEvent.objects.get(action=AuditAction.IDENTITY_RECORDED)
    assert row.details["access_point"] == mediator.access_point_id
    assert row.applicant_id == person["id"]


def test_an_identity_on_file_is_not_registered_twice(mediator_api, stranger):
    body = _walk_in_body(
        document_type=stranger.document_type,
        document_number=stranger.document_number,
        nationality=str(stranger.nationality),
    )

    response = mediator_api.post(PEOPLE, body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "identity_taken"


def test_a_bad_identity_is_a_clear_400(mediator_api):
    response = mediator_api.post(PEOPLE, _walk_in_body(birth_date="2999-01-01"), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_identity"


def test_walk_ins_are_rate_limited(mediator_api, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "mediation": {"ip": (1, 3600)}}

    first = mediator_api.post(PEOPLE, _walk_in_body(), format="json")
    second = mediator_api.post(PEOPLE, _walk_in_body(document_number="CD654321"), format="json")

    assert (first.status_code, second.status_code) == (201, 429)


def test_an_agent_may_not_register_through_mediation(agent):
    response = token_client(agent).post(PEOPLE, _walk_in_body(), format="json")

    assert response.status_code == 403


# --- Consents -------------------------------------------------------------------------


def test_a_mediator_records_a_consent_of_their_points_walk_in(mediator_api, mediator, walk_in):
    response = mediator_api.post(_consents_url(walk_in), _consent_body(), format="json")

    assert response.status_code == 201
    consent = Consent.objects.get(pk=response.json()["id"])
    assert (consent.applicant, consent.access_point_id, consent.mediator) == (
        walk_in,
        mediator.access_point_id,
        mediator,
    )
    row = AuditEvent.objects.get(action=AuditAction.CONSENT_GIVEN)
    assert row.details["access_point"] == mediator.access_point_id
    assert row.details["consent"] == consent.pk


def test_someone_elses_person_is_a_404_without_what_they_hold(mediator_api, stranger):
    response = mediator_api.post(_consents_url(stranger), _consent_body(), format="json")
    missing = mediator_api.post(f"{PEOPLE}999999/consents/", _consent_body(), format="json")

    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert not Consent.objects.exists()


def test_with_their_document_and_birth_date_a_mediator_records_their_consent(
    mediator_api, stranger
):
    body = _consent_body(
        document_number=stranger.document_number, birth_date=stranger.birth_date.isoformat()
    )

    response = mediator_api.post(_consents_url(stranger), body, format="json")

    assert response.status_code == 201
    # From now on the person is one of the point's people.
    again = mediator_api.post(_consents_url(stranger), _consent_body(), format="json")
    assert again.status_code == 201


def test_a_wrong_birth_date_does_not_open_the_door(mediator_api, stranger):
    body = _consent_body(document_number=stranger.document_number, birth_date="1970-01-01")

    response = mediator_api.post(_consents_url(stranger), body, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"purposes": []},
        {"purposes": ["everything"]},
        {"given_by": "representative"},
        {"valid_until": "2000-01-01"},
        {"valid_until": (date.today() + timedelta(days=4000)).isoformat()},
        {"method": "telepathy"},
    ],
)
def test_a_bad_consent_is_refused_and_nothing_is_written(mediator_api, walk_in, changes):
    response = mediator_api.post(_consents_url(walk_in), _consent_body(**changes), format="json")

    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "invalid_consent")
    assert not Consent.objects.exists()


def test_a_representative_is_named(mediator_api, walk_in):
    body = _consent_body(given_by="representative", given_by_name="Fatou Traoré (sister)")

    response = mediator_api.post(_consents_url(walk_in), body, format="json")

    assert response.status_code == 201
    assert response.json()["given_by_name"] == "Fatou Traoré (sister)"


def test_withdrawing_a_consent_stops_the_next_booking(mediator_api, mediator, walk_in, slot):
    consent = factories.ConsentFactory(applicant=walk_in, mediator=mediator)

    response = mediator_api.delete(f"{_consents_url(walk_in)}{consent.pk}/")

    assert response.status_code == 200
    assert response.json()["withdrawn_at"] is not None
    booking = mediator_api.post(
        APPOINTMENTS, {"slot": slot.pk, "applicant": walk_in.pk}, format="json"
    )
    assert booking.status_code == 403
    assert booking.json()["code"] == "consent_required"
    again = mediator_api.delete(f"{_consents_url(walk_in)}{consent.pk}/")
    assert again.status_code == 409
    assert again.json()["code"] == "consent_not_active"


def test_another_points_mediator_cannot_withdraw_a_consent(walk_in, mediator):
    consent = factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    client = token_client(factories.MediatorFactory())

    response = client.delete(f"{_consents_url(walk_in)}{consent.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "consent_not_found"
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_a_supervisor_withdraws_any_consent(supervisor, walk_in, mediator):
    consent = factories.ConsentFactory(applicant=walk_in, mediator=mediator)

    response = token_client(supervisor).delete(f"{_consents_url(walk_in)}{consent.pk}/")

    assert response.status_code == 200
    row = AuditEvent.objects.get(action=AuditAction.CONSENT_WITHDRAWN)
    assert row.details == {"access_point": mediator.access_point_id, "consent": consent.pk}


# --- Booking for someone ------------------------------------------------------------------


def test_a_mediator_books_for_a_person_who_consented(mediator_api, mediator, walk_in, slot):
    consent = factories.ConsentFactory(applicant=walk_in, mediator=mediator)

    response = mediator_api.post(
        APPOINTMENTS, {"slot": slot.pk, "applicant": walk_in.pk}, format="json"
    )

    assert response.status_code == 201
    appointment = Appointment.objects.get(reference=response.json()["reference"])
    assert appointment.applicant == walk_in
    assert appointment.access_point_id == mediator.access_point_id
    assert appointment.booked_by == mediator
    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_BOOKED)
    assert row.details["consent"] == consent.pk
    assert row.details["access_point"] == mediator.access_point_id


def test_a_mediator_books_from_the_mediation_pool(mediator_api, mediator, walk_in, site, procedure):
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    reserved = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.MEDIATION)

    response = mediator_api.post(
        APPOINTMENTS, {"slot": reserved.pk, "applicant": walk_in.pk}, format="json"
    )

    assert response.status_code == 201


def test_without_consent_the_booking_is_refused(mediator_api, walk_in, slot):
    response = mediator_api.post(
        APPOINTMENTS, {"slot": slot.pk, "applicant": walk_in.pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "consent_required"
    slot.refresh_from_db()
    assert slot.booked == 0


def test_another_points_person_answers_as_a_missing_one(mediator_api, stranger, slot):
    response = mediator_api.post(
        APPOINTMENTS, {"slot": slot.pk, "applicant": stranger.pk}, format="json"
    )
    missing = mediator_api.post(APPOINTMENTS, {"slot": slot.pk, "applicant": 999999}, format="json")

    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert response.json()["code"] == "applicant_not_found"


def test_staff_must_name_the_person(mediator_api, slot):
    response = mediator_api.post(APPOINTMENTS, {"slot": slot.pk}, format="json")

    assert response.status_code == 400
    assert "applicant" in response.json()["fields"]


def test_an_applicant_naming_someone_else_gets_a_404(applicant_api, other_applicant, slot):
    response = applicant_api.post(
        APPOINTMENTS, {"slot": slot.pk, "applicant": other_applicant.pk}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "applicant_not_found"
    assert not Appointment.objects.exists()


def test_an_applicant_naming_themselves_books(applicant_api, applicant, slot):
    response = applicant_api.post(
        APPOINTMENTS, {"slot": slot.pk, "applicant": applicant.pk}, format="json"
    )

    assert response.status_code == 201


def test_an_agent_books_for_anyone_at_their_sites_only(agent, stranger, slot, procedure):
    client = token_client(agent)
    elsewhere = factories.SlotFactory(procedure=procedure)

    refused = client.post(
        APPOINTMENTS, {"slot": elsewhere.pk, "applicant": stranger.pk}, format="json"
    )
    booked = client.post(APPOINTMENTS, {"slot": slot.pk, "applicant": stranger.pk}, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "not_allowed"
    assert booked.status_code == 201
    assert Appointment.objects.get().access_point_id is None


def test_a_mediator_cancels_and_moves_with_the_consent(
    mediator_api, mediator, walk_in, site, procedure
):
    consent = factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    first, second = factories.SlotFactory.create_batch(2, site=site, procedure=procedure)
    appointment = appointment_book(actor=mediator, applicant=walk_in, slot_id=first.pk)

    moved = mediator_api.post(
        f"{APPOINTMENTS}{appointment.reference}/reschedule/", {"slot": second.pk}, format="json"
    )
    assert moved.status_code == 200
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    refused = mediator_api.post(f"{APPOINTMENTS}{appointment.reference}/cancel/")

    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_required"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.slot_id == second.pk
    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_RESCHEDULED)
    assert row.details["consent"] == consent.pk


def test_an_agent_cancels_at_their_site_through_the_api(agent, applicant, slot):
    appointment = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)

    response = token_client(agent).post(f"{APPOINTMENTS}{appointment.reference}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


# --- Query counts ---------------------------------------------------------------------------


def test_mediation_api_queries_are_bounded(mediator, django_assert_max_num_queries):
    """The token (1), then: the search (1) and the people with their consents
    to the point (2), however many consents; a consent's person (1), the INSERT
    and its audit row in a transaction (2 + 2); a withdrawal's consent (1), its
    lock with the person (1), the UPDATE and its audit row (2 + 2)."""
    client = token_client(mediator)
    person = factories.ApplicantFactory(user=None, access_point=mediator.access_point)
    consents = factories.ConsentFactory.create_batch(5, applicant=person, mediator=mediator)
    query = {"document_number": person.document_number, "birth_date": person.birth_date}

    with django_assert_max_num_queries(4):
        assert len(client.get(PEOPLE, query).json()[0]["consents"]) == 5
    with django_assert_max_num_queries(7):
        assert client.post(_consents_url(person), _consent_body(), format="json").status_code == 201
    with django_assert_max_num_queries(8):
        assert client.delete(f"{_consents_url(person)}{consents[0].pk}/").status_code == 200
    with django_assert_max_num_queries(9):
        assert client.post(PEOPLE, _walk_in_body(), format="json").status_code == 201
