"""The counter's API: the day's list, check-in, done, no-shows; and the no-show
cooling as the booking API answers it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking.models import AppointmentStatus, BlockReason, BookingBlock
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.counter import appointment_at, status_of

pytestmark = pytest.mark.django_db

DAY = "/api/v1/agent/day/"
CHECKINS = "/api/v1/agent/checkins/"
NO_SHOWS = "/api/v1/agent/no-shows/"


def _done(reference: str) -> str:
    return f"/api/v1/agent/appointments/{reference}/done/"


def _this_hour():
    return timezone.localtime().replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def appointment(site):
    return appointment_at(_this_hour(), site=site)


def _check_in(api, appointment, number=None):
    return api.post(
        CHECKINS,
        {
            "reference": appointment.reference,
            "document_number": number or appointment.document_number,
        },
        format="json",
    )


def test_the_day_lists_the_sites_appointments_a_page_at_a_time(agent_api, site, appointment):
    appointment_at(_this_hour(), site=factories.SiteFactory())
    second = appointment_at(_this_hour(), site=site)

    first_page = agent_api.get(DAY, {"site": site.slug, "page_size": 1})

    assert first_page.status_code == 200
    body = first_page.json()
    assert [row["reference"] for row in body["results"]] == [appointment.reference]
    row = body["results"][0]
    assert row["site"] == site.slug
    assert row["status"] == "booked"
    assert row["channel"] == "web"
    assert row["surname"] == appointment.surname
    assert "document_number" not in row
    rest = agent_api.get(body["next"]).json()
    assert [r["reference"] for r in rest["results"]] == [second.reference]
    assert rest["next"] is None


def test_the_day_of_another_site_is_a_404(other_agent_api, site, appointment):
    theirs = other_agent_api.get(DAY, {"site": site.slug})
    missing = other_agent_api.get(DAY, {"site": "no-such-site"})

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


@pytest.mark.parametrize("query", [{}, {"site": ""}, {"site": "x", "date": "today"}])
def test_a_malformed_filter_is_a_400(agent_api, query):
    response = agent_api.get(DAY, query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_applicants_and_mediators_are_refused(applicant_api, mediator_api, site):
    for api in (applicant_api, mediator_api):
        response = api.get(DAY, {"site": site.slug})
        assert response.status_code == 403
        assert response.json()["code"] == "agents_only"


def test_check_in_with_the_right_document_succeeds_once(agent_api, appointment):
    first = _check_in(agent_api, appointment)

    assert first.status_code == 200
    assert first.json()["status"] == "checked_in"
    assert first.json()["checked_in_at"] is not None
    second = _check_in(agent_api, appointment)
    assert second.status_code == 409
    assert second.json()["code"] == "already_checked_in"


def test_check_in_with_another_document_is_a_409_recorded(agent_api, appointment):
    response = _check_in(agent_api, appointment, "ZZ0000000")

    assert response.status_code == 409
    assert response.json()["code"] == "document_mismatch"
    assert status_of(appointment) == AppointmentStatus.BOOKED
    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED).count() == 1


def test_another_sites_appointment_answers_like_a_missing_one(other_agent_api, appointment):
    theirs = _check_in(other_agent_api, appointment)
    missing = other_agent_api.post(
        CHECKINS, {"reference": "ZZZZ2222", "document_number": "1"}, format="json"
    )
    done = other_agent_api.post(_done(appointment.reference))

    assert theirs.status_code == missing.status_code == done.status_code == 404
    assert theirs.json() == missing.json() == done.json()
    assert status_of(appointment) == AppointmentStatus.BOOKED


def test_done_after_check_in(agent_api, appointment):
    refused = agent_api.post(_done(appointment.reference))
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_checked_in"
    _check_in(agent_api, appointment)

    response = agent_api.post(_done(appointment.reference))

    assert response.status_code == 200
    assert response.json()["status"] == "done"


def test_no_shows_of_a_day_in_one_call(noon, agent_api, other_agent_api, site):
    midnight = _this_hour().replace(hour=0)
    missed = [appointment_at(midnight, site=site) for _ in range(2)]
    body = {"site": site.slug, "date": timezone.localdate().isoformat()}

    assert other_agent_api.post(NO_SHOWS, body, format="json").status_code == 404
    first = agent_api.post(NO_SHOWS, body, format="json")
    again = agent_api.post(NO_SHOWS, body, format="json")

    assert first.status_code == 200
    assert first.json() == {"marked": 2}
    assert again.json() == {"marked": 0}
    assert [status_of(a) for a in missed] == [AppointmentStatus.NO_SHOW] * 2


def test_a_supervisor_works_at_any_site(supervisor, site, appointment):
    api = token_client(supervisor)

    assert api.get(DAY, {"site": site.slug}).status_code == 200
    assert _check_in(api, appointment).status_code == 200


# --- The cooling, as the booking API answers it ----------------------------------------------


def test_the_booking_api_refuses_during_the_cooling_then_books(
    applicant_api, applicant, site, procedure
):
    BookingBlock.objects.create(
        applicant=applicant,
        procedure=procedure,
        until=timezone.now() + timedelta(days=10),
        reason=BlockReason.NO_SHOWS,
    )
    slot = factories.SlotFactory(site=site, procedure=procedure)

    refused = applicant_api.post("/api/v1/appointments/", {"slot": slot.pk}, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "no_show_cooling"
    # Says until when, in the person's language (the date's year at least).
    assert str(BookingBlock.objects.get().until.year) in refused.json()["detail"]
    BookingBlock.objects.update(until=timezone.now() - timedelta(seconds=1))
    booked = applicant_api.post("/api/v1/appointments/", {"slot": slot.pk}, format="json")
    assert booked.status_code == 201


def test_staff_booking_for_the_person_obeys_the_cooling(agent_api, applicant, site, procedure):
    BookingBlock.objects.create(
        applicant=applicant,
        procedure=procedure,
        until=timezone.now() + timedelta(days=10),
        reason=BlockReason.NO_SHOWS,
    )
    slot = factories.SlotFactory(site=site, procedure=procedure)

    refused = agent_api.post(
        "/api/v1/appointments/", {"slot": slot.pk, "applicant": applicant.pk}, format="json"
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "no_show_cooling"
