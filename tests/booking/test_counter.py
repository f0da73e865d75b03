"""The counter's services: check-in by reference and document, done, no-shows,
and the no-show cooling of the booking rulebook."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking import errors
from booking.models import AppointmentStatus, BlockReason, BookingBlock
from booking.services import (
    appointment_book,
    appointment_check_in,
    appointment_check_in_override,
    appointment_done,
    appointments_close_past,
    day_no_shows_mark,
)
from tests import factories
from tests.helpers.counter import appointment_at, local, status_of, today_at
from tests.helpers.racing import kinds, race

pytestmark = pytest.mark.django_db

NOON = today_at(12)
TODAY = timezone.localdate()


@pytest.fixture
def appointment(site):
    return appointment_at(today_at(10), site=site)


def _check_in(agent, appointment, number=None, **kwargs):
    return appointment_check_in(
        actor=agent,
        reference=appointment.reference,
        document_number=appointment.document_number if number is None else number,
        now=kwargs.pop("now", NOON),
        **kwargs,
    )


# --- Check-in --------------------------------------------------------------------------


def test_the_right_document_checks_in_once(agent, appointment):
    checked = _check_in(agent, appointment)

    assert checked.status == AppointmentStatus.CHECKED_IN
    assert checked.checked_in_at == NOON
    assert checked.checked_in_by == agent
    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_CHECKED_IN)
    assert row.appointment_id == appointment.pk
    assert row.actor_id == agent.pk
    assert row.details == {"site": appointment.slot.site_id}
    with pytest.raises(errors.AlreadyCheckedIn):
        _check_in(agent, appointment)
    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_CHECKED_IN).count() == 1


def test_the_document_number_is_compared_normalised(agent, appointment):
    typed = f"  {appointment.document_number[:4].lower()} {appointment.document_number[4:]} "

    assert _check_in(agent, appointment, typed).status == AppointmentStatus.CHECKED_IN


def test_the_reference_may_be_typed_in_lower_case_with_spaces(agent, appointment):
    checked = appointment_check_in(
        actor=agent,
        reference=f" {appointment.reference.lower()} ",
        document_number=appointment.document_number,
        now=NOON,
    )

    assert checked.pk == appointment.pk


def test_another_document_is_refused_and_recorded_without_the_number(agent, appointment):
    with pytest.raises(errors.DocumentMismatch) as refused:
        _check_in(agent, appointment, "AB123456")

    assert refused.value.code == "document_mismatch"
    assert refused.value.status == 409
    assert status_of(appointment) == AppointmentStatus.BOOKED
    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED)
    assert row.appointment_id == appointment.pk
    assert row.applicant_id == appointment.applicant_id
    assert row.actor_id == agent.pk
    assert row.details["site"] == appointment.slot.site_id
    assert row.details["reason"] == "document_mismatch"
    assert "AB123456" not in str(row.details)
    # The same number typed again leaves the same fingerprint: the abuse report
    # can tell one document used for several appointments.
    with pytest.raises(errors.DocumentMismatch):
        _check_in(agent, appointment, "ab 123456")
    fingerprints = set(
        AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_CHECK_IN_REFUSED).values_list(
            "details__document_fingerprint", flat=True
        )
    )
    assert len(fingerprints) == 1


def test_an_empty_document_number_is_a_mismatch(agent, appointment):
    with pytest.raises(errors.DocumentMismatch):
        _check_in(agent, appointment, "  ")

    assert status_of(appointment) == AppointmentStatus.BOOKED


def test_another_sites_appointment_answers_as_an_unknown_reference(other_agent, appointment):
    with pytest.raises(errors.AppointmentNotFound) as theirs:
        _check_in(other_agent, appointment)
    with pytest.raises(errors.AppointmentNotFound) as unknown:
        appointment_check_in(actor=other_agent, reference="ZZZZ2222", document_number="x")
    with pytest.raises(errors.AppointmentNotFound):
        appointment_check_in(actor=other_agent, reference="\x00", document_number="x")

    assert theirs.value.code == unknown.value.code == "appointment_not_found"
    assert str(theirs.value) == str(unknown.value)
    assert status_of(appointment) == AppointmentStatus.BOOKED
    assert not AuditEvent.objects.filter(action__startswith="appointment.check").exists()


def test_an_applicant_or_mediator_cannot_check_in(appointment, mediator):
    for actor in (appointment.applicant.user, mediator):
        with pytest.raises(errors.AppointmentNotFound):
            _check_in(actor, appointment)


def test_a_supervisor_checks_in_at_any_site(supervisor, appointment):
    assert _check_in(supervisor, appointment).status == AppointmentStatus.CHECKED_IN


@pytest.mark.parametrize("days", [-1, 1])
def test_check_in_is_refused_on_another_day_than_the_appointments(agent, appointment, days):
    with pytest.raises(errors.NotToday) as refused:
        _check_in(agent, appointment, now=NOON + timedelta(days=days))

    assert refused.value.code == "not_today"
    assert status_of(appointment) == AppointmentStatus.BOOKED


def test_a_cancelled_appointment_cannot_be_checked_in(agent, appointment):
    type(appointment).objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)

    with pytest.raises(errors.AppointmentNotActive):
        _check_in(agent, appointment)


def test_a_supervisor_overrides_a_mismatch_with_a_reason(supervisor, agent, appointment):
    with pytest.raises(errors.SupervisorsOnly):
        appointment_check_in_override(
            actor=agent, reference=appointment.reference, reason="Titre renouvelé", now=NOON
        )
    with pytest.raises(errors.ReasonRequired):
        appointment_check_in_override(
            actor=supervisor, reference=appointment.reference, reason="  ", now=NOON
        )
    assert status_of(appointment) == AppointmentStatus.BOOKED

    checked = appointment_check_in_override(
        actor=supervisor, reference=appointment.reference, reason="Titre renouvelé", now=NOON
    )

    assert checked.status == AppointmentStatus.CHECKED_IN
    row = AuditEvent.objects.get(action=AuditAction.APPOINTMENT_CHECK_IN_OVERRIDDEN)
    assert row.actor_id == supervisor.pk
    assert row.details == {"site": appointment.slot.site_id, "reason": "Titre renouvelé"}


# --- Done ------------------------------------------------------------------------------


def test_done_follows_a_check_in_only(agent, other_agent, appointment):
    with pytest.raises(errors.NotCheckedIn):
        appointment_done(actor=agent, appointment=appointment, now=NOON)
    _check_in(agent, appointment)
    with pytest.raises(errors.AppointmentNotFound):
        appointment_done(actor=other_agent, appointment=appointment, now=NOON)

    done = appointment_done(actor=agent, appointment=appointment, now=NOON)

    assert done.status == AppointmentStatus.DONE
    assert done.done_at == NOON
    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_DONE).count() == 1


# --- Concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_counters_scanning_the_same_convocation_check_in_once(site):
    appointment = appointment_at(today_at(10), site=site)
    agents = [factories.AgentFactory(sites=[site]) for _ in range(2)]

    outcomes = race(
        [
            partial(
                appointment_check_in,
                actor=agent,
                reference=appointment.reference,
                document_number=appointment.document_number,
                now=NOON,
            )
            for agent in agents
        ],
        join_timeout=60,
    )

    assert kinds(outcomes) == {
        "Appointment": 1,
        "AlreadyCheckedIn": 1,
    }
    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_CHECKED_IN).count() == 1


# --- No-shows --------------------------------------------------------------------------


def test_closing_the_day_marks_the_passed_booked_ones_in_one_action(agent, site):
    came = appointment_at(today_at(9), site=site)
    missed = [appointment_at(today_at(h), site=site) for h in (9, 10, 11)]
    later = appointment_at(today_at(15), site=site)
    elsewhere = appointment_at(today_at(9), site=factories.SiteFactory())
    _check_in(agent, came)

    assert day_no_shows_mark(actor=agent, site=site, day=TODAY, now=NOON) == 3

    assert [status_of(a) for a in missed] == [AppointmentStatus.NO_SHOW] * 3
    assert status_of(came) == AppointmentStatus.CHECKED_IN
    assert status_of(later) == AppointmentStatus.BOOKED
    assert status_of(elsewhere) == AppointmentStatus.BOOKED
    row = AuditEvent.objects.get(action=AuditAction.NO_SHOWS_MARKED)
    assert row.details == {"site": site.pk, "day": TODAY.isoformat(), "count": 3, "blocked": 0}
    # Twice changes nothing more.
    assert day_no_shows_mark(actor=agent, site=site, day=TODAY, now=NOON) == 0
    assert AuditEvent.objects.filter(action=AuditAction.NO_SHOWS_MARKED).count() == 1


def test_closing_the_day_of_another_site_is_refused_as_missing(other_agent, site):
    appointment = appointment_at(today_at(9), site=site)

    with pytest.raises(errors.SiteNotFound):
        day_no_shows_mark(actor=other_agent, site=site, day=TODAY, now=NOON)

    assert status_of(appointment) == AppointmentStatus.BOOKED


def test_the_job_marks_no_shows_where_the_counter_worked_and_ends_the_rest(agent, site):
    yesterday = TODAY - timedelta(days=1)
    came = appointment_at(local(yesterday, 9), site=site)
    missed = appointment_at(local(yesterday, 10), site=site)
    quiet_site = factories.SiteFactory()
    nobody_checked = appointment_at(local(yesterday, 10), site=quiet_site)
    _check_in(agent, came, now=local(yesterday, 9, 5))

    closed = appointments_close_past(now=NOON)

    assert closed == {"no_show": 1, "ended": 1, "done": 1}
    assert status_of(missed) == AppointmentStatus.NO_SHOW
    assert status_of(nobody_checked) == AppointmentStatus.ENDED
    assert status_of(came) == AppointmentStatus.DONE
    assert appointments_close_past(now=NOON) == {}


def test_a_check_in_on_another_day_does_not_count_for_the_job(agent, site):
    yesterday = TODAY - timedelta(days=1)
    before = appointment_at(local(yesterday - timedelta(days=1), 9), site=site)
    _check_in(agent, before, now=local(yesterday - timedelta(days=1), 9, 5))
    missed = appointment_at(local(yesterday, 10), site=site)

    appointments_close_past(now=NOON)

    assert status_of(missed) == AppointmentStatus.ENDED


# --- The no-show cooling (booking.rules) -----------------------------------------------


def _missed(agent, site, procedure, applicant, days_ago: int):
    """A no-show of ``applicant`` for ``procedure``, ``days_ago`` days ago."""
    day = TODAY - timedelta(days=days_ago)
    appointment = appointment_at(
        local(day, 10), site=site, procedure=procedure, applicant=applicant
    )
    day_no_shows_mark(actor=agent, site=site, day=day, now=NOON)
    assert status_of(appointment) == AppointmentStatus.NO_SHOW
    return appointment


def test_after_the_limit_of_no_shows_the_person_cannot_book_until_the_cooling_ends(
    agent, site, procedure, applicant, settings
):
    settings.NO_SHOW_LIMIT = 2
    settings.NO_SHOW_COOLING_DAYS = 30
    _missed(agent, site, procedure, applicant, days_ago=20)
    assert not BookingBlock.objects.exists()
    last = _missed(agent, site, procedure, applicant, days_ago=3)

    block = BookingBlock.objects.get()
    assert (block.applicant_id, block.procedure_id) == (applicant.pk, procedure.pk)
    assert block.reason == BlockReason.NO_SHOWS
    assert block.until == local(TODAY - timedelta(days=3), 10) + timedelta(days=30)
    assert block.until > last.slot.starts_at
    slot = factories.SlotFactory(site=site, procedure=procedure)
    with pytest.raises(errors.NoShowCooling) as refused:
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    assert refused.value.code == "no_show_cooling"
    assert refused.value.status == 403
    assert refused.value.params["count"] == 2
    # Staff booking for the person obey it too; nothing was written.
    with pytest.raises(errors.NoShowCooling):
        appointment_book(actor=agent, applicant=applicant, slot_id=slot.pk)
    slot.refresh_from_db()
    assert slot.booked == 0
    # Another procedure, or another person, is not blocked.
    other = factories.SlotFactory(site=site)
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=other.pk)
    someone = factories.ApplicantFactory()
    appointment_book(actor=someone.user, applicant=someone, slot_id=slot.pk)

    # The cooling period over (its end moved to the past), the person books again.
    BookingBlock.objects.update(until=timezone.now() - timedelta(seconds=1))
    booked = appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
    assert booked.status == AppointmentStatus.BOOKED


def test_no_shows_outside_the_window_do_not_count(agent, site, procedure, applicant, settings):
    settings.NO_SHOW_WINDOW_MONTHS = 6
    _missed(agent, site, procedure, applicant, days_ago=200)
    _missed(agent, site, procedure, applicant, days_ago=3)

    assert not BookingBlock.objects.exists()


def test_a_cooling_period_already_over_writes_no_block(agent, site, procedure, applicant, settings):
    settings.NO_SHOW_COOLING_DAYS = 5
    _missed(agent, site, procedure, applicant, days_ago=20)
    _missed(agent, site, procedure, applicant, days_ago=10)

    assert not BookingBlock.objects.exists()


def test_the_job_writes_the_block_too(agent, site, procedure, applicant):
    _missed(agent, site, procedure, applicant, days_ago=20)
    yesterday = TODAY - timedelta(days=1)
    came = appointment_at(local(yesterday, 9), site=site)
    _check_in(agent, came, now=local(yesterday, 9, 5))
    appointment_at(local(yesterday, 10), site=site, procedure=procedure, applicant=applicant)

    appointments_close_past(now=NOON)

    block = BookingBlock.objects.get()
    assert block.until == local(yesterday, 10) + timedelta(days=30)
    slot = factories.SlotFactory(site=site, procedure=procedure)
    with pytest.raises(errors.NoShowCooling):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
