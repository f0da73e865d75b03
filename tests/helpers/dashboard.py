"""A small hand-made world for the dashboard's tests (page, CSV and API):
two sites, one procedure, last week and next week, every figure's cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from attempts.models import FailedSearch
from backoffice.dashboard import monday
from booking.models import Appointment, AppointmentStatus, Slot
from substitution.models import SubstitutionRequest
from tests import factories
from tests.helpers.db_constraints import appointment_fields
from tests.helpers.notification_factories import sent_sms


def at(day, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@dataclass
class World:
    site: object
    other_site: object
    procedure: object
    last_week: object  # the Monday
    next_week: object
    agent: object


def slot_at(site, procedure, starts_at, capacity, booked) -> Slot:
    return factories.SlotFactory(
        site=site, procedure=procedure, starts_at=starts_at, capacity=capacity, booked=booked
    )


def appointment_at(slot, status, *, created_at, cancelled_by=None) -> Appointment:
    person = factories.ApplicantFactory()
    return Appointment.objects.create(
        **appointment_fields(
            person,
            slot,
            status=status,
            created_at=created_at,
            cancelled_by=cancelled_by,
            cancelled_at=created_at if status == AppointmentStatus.CANCELLED else None,
        )
    )


def _searched(appointment, days_before: float, *, hours: int = 0) -> None:
    first = appointment.created_at - timedelta(days=days_before)
    FailedSearch.objects.create(
        applicant=appointment.applicant,
        procedure=appointment.procedure,
        site=None,
        hour=first.replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours),
        first_at=first,
        last_at=first,
    )


def _substitution(procedure, site, tracking: str, *, answered: bool = False):
    now = timezone.now()
    return SubstitutionRequest.objects.create(
        tracking=tracking,
        surname="Diallo",
        given_names="Awa",
        birth_date=datetime(1990, 1, 2).date(),
        nationality="ML",
        document_type="agdref",
        document_number="9399999999",
        identity_key="agdref:9399999999",
        procedure=procedure,
        site=site,
        reason="nothing_free",
        email="awa@example.test",
        created_at=now,
        due_at=now + timedelta(days=15),
        **(
            {"state": "answered", "outcome": "referred", "answer": "OFII", "answered_at": now}
            if answered
            else {}
        ),
    )


def dashboard_world(*, agent, site, procedure) -> World:
    """Site A (the agent's) and site B, one procedure, last week and next week.

    Last week at A: a slot of 4 seats with 3 held (done, no-show, ended) and two
    cancelled (by the person, by an agent), and a slot of 2 seats nobody booked.
    Next week at A: 3 seats, 1 booked. At B: 5 seats, 5 booked, last week.
    """
    other_site = factories.SiteFactory(name='=HYPERLINK("http://evil")', slug="other")
    this_week = monday(timezone.localdate())
    last_week, next_week = this_week - timedelta(weeks=1), this_week + timedelta(weeks=1)
    full = slot_at(site, procedure, at(last_week + timedelta(days=1)), 4, 3)
    slot_at(site, procedure, at(last_week + timedelta(days=2)), 2, 0)
    coming = slot_at(site, procedure, at(next_week + timedelta(days=1)), 3, 1)
    elsewhere = slot_at(other_site, procedure, at(last_week + timedelta(days=1)), 5, 5)

    booked_at = at(last_week - timedelta(days=7))
    done = appointment_at(full, AppointmentStatus.DONE, created_at=booked_at)
    no_show = appointment_at(full, AppointmentStatus.NO_SHOW, created_at=booked_at)
    ended = appointment_at(full, AppointmentStatus.ENDED, created_at=booked_at)
    person = factories.ApplicantFactory()
    cancelled_by_person = Appointment.objects.create(
        **appointment_fields(
            person,
            full,
            status=AppointmentStatus.CANCELLED,
            created_at=booked_at,
            cancelled_by=person.user,
        )
    )
    cancelled_by_staff = appointment_at(
        full, AppointmentStatus.CANCELLED, created_at=booked_at, cancelled_by=agent
    )
    upcoming = appointment_at(coming, AppointmentStatus.BOOKED, created_at=booked_at)
    appointment_at(elsewhere, AppointmentStatus.NO_SHOW, created_at=booked_at)

    # Waits: 4 days (the first of two searches), 10 days; a search 200 days
    # before is too old; a cancelled appointment's search does not count.
    _searched(done, 4)
    _searched(done, 2, hours=1)
    _searched(no_show, 10)
    _searched(ended, 200)
    _searched(cancelled_by_person, 30)
    _searched(upcoming, 1.5)

    # Messages about the held appointment: an SMS sent, an e-mail delivered, an
    # SMS that failed and an e-mail still pending; one at B.
    sent_sms(appointment=done)
    sent_sms(appointment=done, channel="email", status="delivered", destination="a@b.test")
    sent_sms(appointment=done, status="failed")
    sent_sms(appointment=done, channel="email", status="pending", destination="a@b.test")
    sent_sms(appointment=cancelled_by_staff)

    # Demand: an alert in force since a month at A; one given up three weeks
    # ago; one at B only.
    month_ago = timezone.now() - timedelta(days=30)
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[site], created_at=month_ago)
    factories.AlertSubscriptionFactory(
        procedure=procedure,
        sites=[site],
        created_at=month_ago,
        is_active=False,
        unsubscribed_at=timezone.now() - timedelta(days=21),
    )
    factories.AlertSubscriptionFactory(procedure=procedure, sites=[other_site])

    _substitution(procedure, site, "SSSSSSSSS2")
    _substitution(procedure, site, "SSSSSSSSS3", answered=True)
    _substitution(procedure, None, "SSSSSSSSS4")
    _substitution(procedure, other_site, "SSSSSSSSS5")
    return World(site, other_site, procedure, last_week, next_week, agent)
