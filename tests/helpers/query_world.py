"""The busy world the query counts of ``tests/test_query_counts.py`` are made in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.services import api_token_create
from booking.models import Appointment, Slot
from booking.services import appointment_book, appointment_cancel, appointment_reschedule
from tests import factories
from tests.personas import World as Personas


@dataclass
class World:
    personas: Personas  # who is who; the rows below are added to their world
    applicant: object
    procedure: object  # the applicant has no appointment for it: bookable
    site: object
    slot: object  # a free slot of procedure at site
    appointment: Appointment  # active, changeable, with a free slot to move to
    target: Slot  # that free slot
    token: str
    subscription: object


def slots_at_sites(procedure, sites, per_site=8, first=0, **kwargs) -> list[Slot]:
    """``per_site`` slots at each site over a few days from the day after
    tomorrow, within every procedure's horizon, four a day from 09:00."""
    day = timezone.localdate() + timedelta(days=2)
    morning = timezone.make_aware(datetime.combine(day, time(9)))
    starts = [
        morning + timedelta(days=i // 4, minutes=20 * (i % 4))
        for i in range(first, first + per_site)
    ]
    return [
        factories.SlotFactory(site=site, procedure=procedure, starts_at=start, **kwargs)
        for site in sites
        for start in starts
    ]


def busy_world(persona_world: Personas) -> World:
    """The persona world made busy: the rows every count is made among (see the
    docstring of ``tests/test_query_counts.py``)."""
    applicant = persona_world.people["applicant"]
    # The persona site first: the agent of the site works where the applicant books.
    sites = [persona_world.sites["site"], *factories.SiteFactory.create_batch(2)]
    procedures = factories.ProcedureFactory.create_batch(6)
    procedure, site = procedures[0], sites[0]
    for each in procedures:
        slots_at_sites(each, sites)
        slots_at_sites(each, sites[:1], per_site=3, first=8, capacity=1, booked=1)  # full
    # The applicant: five appointments, one moved twice, one cancelled and booked again.
    appointments = []
    for each in procedures[1:]:
        slot = Slot.objects.filter(procedure=each, booked=0).first()
        appointments.append(
            appointment_book(actor=applicant.user, applicant=applicant, slot_id=slot.pk)
        )
    moved = appointments[0]
    for _ in range(2):
        free = Slot.objects.filter(procedure=moved.procedure, booked=0).exclude(pk=moved.slot_id)
        moved = appointment_reschedule(
            actor=applicant.user, appointment=moved, new_slot_id=free.first().pk
        )
    appointment_cancel(actor=applicant.user, appointment=appointments[1])
    again = Slot.objects.filter(procedure=appointments[1].procedure, booked=0).last()
    appointment_book(actor=applicant.user, applicant=applicant, slot_id=again.pk)
    # Other people's appointments on the same slots.
    for _ in range(4):
        other = factories.ApplicantFactory()
        slot = Slot.objects.filter(procedure=procedures[2], booked=0).first()
        appointment_book(actor=other.user, applicant=other, slot_id=slot.pk)
    subscriptions = [
        factories.AlertSubscriptionFactory(applicant=applicant, procedure=each, sites=sites)
        for each in procedures[2:5]
    ]
    # Five points, each open two periods a day: the public list shows them all.
    for point in factories.AccessPointFactory.create_batch(5):
        for weekday in range(5):
            for opens, closes in ((time(9), time(12)), (time(14), time(17))):
                factories.OpeningPeriodFactory(
                    access_point=point, weekday=weekday, opens=opens, closes=closes
                )
    appointment = Appointment.objects.get(pk=appointments[2].pk)
    target = Slot.objects.filter(
        procedure=appointment.procedure, site=appointment.slot.site, booked=0
    ).exclude(pk=appointment.slot_id)[0]
    _token, key = api_token_create(user=applicant.user)
    return World(
        personas=persona_world,
        applicant=applicant,
        procedure=procedure,
        site=site,
        slot=Slot.objects.filter(procedure=procedure, site=site, booked=0).first(),
        appointment=appointment,
        target=target,
        token=key,
        subscription=subscriptions[0],
    )
