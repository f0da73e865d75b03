"""The counter's pages: the day's list of a site, check-in, done, closing the day;
and the no-show cooling as the booking pages tell it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking.models import AppointmentStatus, BlockReason, BookingBlock, Channel
from tests import factories
from tests.auth import login
from tests.helpers.counter import appointment_at, status_of

pytestmark = pytest.mark.django_db

DAY = reverse("agent:day")
CHECKIN = reverse("agent:checkin")
OVERRIDE = reverse("agent:checkin_override")
CLOSE = reverse("agent:close_day")


def _this_hour():
    """A time of today (local) whatever the hour the tests run at."""
    return timezone.localtime().replace(minute=0, second=0, microsecond=0)


def _midnight():
    """Today's first slot (local): over by the time the test runs (with ``noon``)."""
    return _this_hour().replace(hour=0)


@pytest.fixture
def at_counter(web, agent):
    return login(web, agent)


@pytest.fixture
def appointment(site):
    return appointment_at(_this_hour(), site=site)


# --- The day's list ----------------------------------------------------------------------


def test_the_day_lists_the_sites_appointments_of_today_only(at_counter, site, appointment):
    elsewhere = appointment_at(_this_hour(), site=factories.SiteFactory())
    tomorrow = appointment_at(_this_hour() + timedelta(days=1), site=site)

    page = at_counter.get(DAY)

    assert page.status_code == 200
    text = page.content.decode()
    assert appointment.reference in text
    assert appointment.surname.upper() in text
    assert "Website" in text  # who booked
    assert elsewhere.reference not in text
    assert tomorrow.reference not in text
    assert f"{CHECKIN}?reference={appointment.reference}" in text


def test_the_day_of_another_site_is_a_404_like_a_missing_one(at_counter, site):
    theirs = factories.SiteFactory()
    appointment_at(_this_hour(), site=theirs)

    assert at_counter.get(DAY, {"site": theirs.slug}).status_code == 404
    assert at_counter.get(DAY, {"site": "no-such-site"}).status_code == 404


def test_only_agents_and_supervisors_see_the_day(web, applicant, mediator):
    assert web.get(DAY).status_code == 302  # to the login page
    for user in (applicant.user, mediator):
        assert login(web, user).get(DAY).status_code == 403


def test_the_day_filters_by_procedure_status_channel_and_date(at_counter, agent, site):
    procedure = factories.ProcedureFactory()
    kept = appointment_at(_this_hour(), site=site, procedure=procedure)
    other = appointment_at(_this_hour(), site=site)
    yesterday = appointment_at(_this_hour() - timedelta(days=1), site=site, procedure=procedure)

    by_procedure = at_counter.get(DAY, {"site": site.slug, "procedure": procedure.slug})
    assert kept.reference in by_procedure.content.decode()
    assert other.reference not in by_procedure.content.decode()
    by_status = at_counter.get(DAY, {"site": site.slug, "status": "checked_in"}).content.decode()
    assert kept.reference not in by_status
    by_channel = at_counter.get(DAY, {"site": site.slug, "channel": Channel.AGENT})
    assert kept.reference not in by_channel.content.decode()
    day_before = (timezone.localdate() - timedelta(days=1)).isoformat()
    past = at_counter.get(DAY, {"site": site.slug, "date": day_before}).content.decode()
    assert yesterday.reference in past
    assert kept.reference not in past
    # A bad filter is a message on the form, not an error page.
    assert at_counter.get(DAY, {"site": site.slug, "date": "tomorrow"}).status_code == 200


def test_a_supervisor_chooses_among_every_site(web, supervisor, site):
    other_site = factories.SiteFactory()
    appointment = appointment_at(_this_hour(), site=other_site)
    page = login(web, supervisor).get(DAY, {"site": other_site.slug})

    assert page.status_code == 200
    text = page.content.decode()
    assert appointment.reference in text
    assert f'value="{site.slug}"' in text  # the choice of site


def test_the_days_queries_do_not_grow_with_its_rows(
    at_counter, site, django_assert_max_num_queries
):
    appointment_at(_this_hour(), site=site)
    with django_assert_max_num_queries(12) as few:
        at_counter.get(DAY)
    for _ in range(8):
        appointment_at(_this_hour(), site=site, procedure=factories.ProcedureFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = at_counter.get(DAY)
    assert page.content.decode().count("guichet-reference") == 9


def test_the_day_prints_without_its_actions(at_counter, appointment):
    text = at_counter.get(DAY).content.decode()

    assert 'class="guichet-screen-only"' in text
    assert "css/print.css" in text


# --- Check-in -----------------------------------------------------------------------------


def test_a_scanned_reference_and_the_right_document_check_in_once(at_counter, appointment):
    form = at_counter.get(CHECKIN).content.decode()
    assert 'name="reference"' in form
    assert "autofocus" in form

    done = at_counter.post(
        CHECKIN,
        {"reference": appointment.reference, "document_number": appointment.document_number},
        follow=True,
    )

    assert done.redirect_chain[-1][0] == CHECKIN
    assert "is checked in" in done.content.decode()
    assert status_of(appointment) == AppointmentStatus.CHECKED_IN
    again = at_counter.post(
        CHECKIN,
        {"reference": appointment.reference, "document_number": appointment.document_number},
    )
    assert again.status_code == 409
    assert "already checked in" in again.content.decode()


def test_another_document_is_refused_clearly_and_recorded(at_counter, appointment):
    refused = at_counter.post(
        CHECKIN, {"reference": appointment.reference, "document_number": "XX999999"}
    )

    assert refused.status_code == 409
    assert "does not match the identity of the appointment" in refused.content.decode()
    assert status_of(appointment) == AppointmentStatus.BOOKED
    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED)
    assert row.details["site"] == appointment.slot.site_id
    assert "XX999999" not in str(row.details)


def test_another_sites_reference_answers_as_an_unknown_one(web, other_agent, appointment):
    other = login(web, other_agent)

    theirs = other.post(
        CHECKIN,
        {"reference": appointment.reference, "document_number": appointment.document_number},
    )
    unknown = other.post(CHECKIN, {"reference": "ZZZZ2222", "document_number": "1"})

    assert theirs.status_code == unknown.status_code == 404
    assert "This appointment does not exist." in theirs.content.decode()
    assert status_of(appointment) == AppointmentStatus.BOOKED


def test_an_empty_form_is_a_message_not_an_error(at_counter):
    page = at_counter.post(CHECKIN, {"reference": "", "document_number": ""})

    assert page.status_code == 200
    assert "The form has errors" in page.content.decode()


def test_a_supervisor_overrides_with_a_reason_agents_cannot(
    web, at_counter, supervisor, appointment
):
    assert 'name="override-reason"' not in at_counter.get(CHECKIN).content.decode()
    body = {"override-reference": appointment.reference, "override-reason": "Titre renouvelé"}
    assert at_counter.post(OVERRIDE, body).status_code == 403

    supervising = login(web, supervisor)
    assert 'name="override-reason"' in supervising.get(CHECKIN).content.decode()
    assert supervising.post(OVERRIDE, {**body, "override-reason": ""}).status_code == 200
    assert status_of(appointment) == AppointmentStatus.BOOKED
    forced = supervising.post(OVERRIDE, body)

    assert forced.status_code == 302
    assert status_of(appointment) == AppointmentStatus.CHECKED_IN
    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_CHECK_IN_OVERRIDDEN)
    assert row.details["reason"] == "Titre renouvelé"


# --- Done and closing the day ----------------------------------------------------------------


def test_done_after_check_in_from_the_list(at_counter, other_agent, appointment):
    at_counter.post(
        CHECKIN,
        {"reference": appointment.reference, "document_number": appointment.document_number},
    )
    url = reverse("agent:done", args=[appointment.reference])
    assert f'action="{url}"' in at_counter.get(DAY).content.decode()

    assert login(Client(), other_agent).post(url).status_code == 404
    response = at_counter.post(url)

    assert response.status_code == 302
    assert status_of(appointment) == AppointmentStatus.DONE


def test_closing_the_day_asks_first_then_marks_the_no_shows(noon, at_counter, site):
    missed = appointment_at(_midnight(), site=site)
    later = appointment_at(_this_hour() + timedelta(hours=1), site=site)
    params = {"site": site.slug, "date": timezone.localdate().isoformat()}

    confirm = at_counter.get(CLOSE, params)
    assert confirm.status_code == 200
    assert "1 appointment of this day is still booked" in confirm.content.decode()
    assert status_of(missed) == AppointmentStatus.BOOKED

    closed = at_counter.post(CLOSE, params, follow=True)

    assert "1 appointment marked as a no-show." in closed.content.decode()
    assert status_of(missed) == AppointmentStatus.NO_SHOW
    assert status_of(later) == AppointmentStatus.BOOKED
    assert AuditEvent.objects.filter(action=AuditAction.NO_SHOWS_MARKED).count() == 1


def test_closing_another_sites_day_is_a_404(noon, web, other_agent, site):
    missed = appointment_at(_midnight(), site=site)
    other = login(web, other_agent)
    params = {"site": site.slug, "date": timezone.localdate().isoformat()}

    assert other.get(CLOSE, params).status_code == 404
    assert other.post(CLOSE, params).status_code == 404
    assert status_of(missed) == AppointmentStatus.BOOKED


def test_a_day_to_come_cannot_be_closed(at_counter, site):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = at_counter.post(CLOSE, {"site": site.slug, "date": tomorrow}, follow=True)

    assert "A day to come cannot be closed." in response.content.decode()


# --- Landing --------------------------------------------------------------------------------


def test_an_agent_lands_on_the_days_list(web, agent):
    from accounts.otp_views import _landing

    assert _landing(agent) == DAY


# --- The cooling, as the booking pages tell it ------------------------------------------------


def test_the_confirm_step_tells_why_and_until_when_then_lifts(web, applicant, site, procedure):
    until = timezone.now() + timedelta(days=10)
    BookingBlock.objects.create(
        applicant=applicant, procedure=procedure, until=until, reason=BlockReason.NO_SHOWS
    )
    slot = factories.SlotFactory(site=site, procedure=procedure)
    page = web
    page.force_login(applicant.user)
    url = reverse("booking:confirm", args=[slot.pk])

    shown = page.get(url).content.decode()
    assert "cannot be booked again before" in shown
    assert f'action="{url}"' not in shown  # no confirm button
    refused = page.post(url, follow=True).content.decode()
    assert "cannot be booked again before" in refused
    assert not applicant.appointments.exists()

    BookingBlock.objects.update(until=timezone.now() - timedelta(seconds=1))
    assert f'action="{url}"' in page.get(url).content.decode()
    page.post(url)
    assert applicant.appointments.get().status == AppointmentStatus.BOOKED


# --- Rate limit ------------------------------------------------------------------------------


def test_the_counters_posts_are_rate_limited(at_counter, appointment, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "counter": {"account": (1, 60), "ip": (50, 60)}}
    body = {"reference": appointment.reference, "document_number": "XX000000"}

    assert at_counter.post(CHECKIN, body).status_code == 409
    assert at_counter.post(CHECKIN, body).status_code == 429
    assert at_counter.get(CHECKIN).status_code == 200  # reading is not counted
