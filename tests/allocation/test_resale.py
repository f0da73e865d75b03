"""The resale scenario, through the real API with real concurrent transactions.

A broker's account A holds a seat for identity X and cancels it at a second
agreed with a buyer, whose account B polls the availability and posts a
booking for that slot as fast as it can, before, during and after the
cancellation.

- In a ``queue`` procedure the seat never reaches B: it goes to the first
  person on the list who can take it (an earlier person who cannot come that
  weekday is passed over), as an offer.
- In an ``open`` procedure with the protections set (a random delay before a
  freed seat is shown, a cooling period for whoever cancelled), B sees nothing
  while it is held; A cannot book it back, even once it is shown; B may book it
  then, but at a moment drawn at random that nobody was told.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from allocation.models import Offer, OfferStatus
from allocation.services import offer_accept, offers_allocate, waitlist_join
from booking import rules as booking_rules
from booking.api import soldout
from booking.models import (
    AllocationMode,
    AllocationPolicy,
    Appointment,
    AppointmentStatus,
    Pool,
    SeatRelease,
    Slot,
)
from booking.services import seats_release_due
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.racing import race

pytestmark = pytest.mark.django_db(transaction=True)

AVAILABILITY = "/api/v1/availability/"
APPOINTMENTS = "/api/v1/appointments/"


@pytest.fixture(autouse=True)
def _fresh_answers(settings):
    """Every poll reads the database: no availability cache, no memory of full slots."""
    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 0
    settings.GUICHET_SOLD_OUT_SECONDS = 0
    soldout.clear()
    yield
    soldout.clear()


def _slot(site, procedure, *, pool: str, days: int = 3) -> Slot:
    starts_at = (timezone.now() + timedelta(days=days)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return factories.SlotFactory(
        site=site,
        procedure=procedure,
        pool=pool,
        capacity=1,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
    )


class Buyer:
    """Account B: polls the availability and posts a booking of the slot it was
    told about, in a loop, from before the cancellation until well after it."""

    def __init__(self, client, *, procedure, slot_id: int, polls_after: int = 8) -> None:
        self.client, self.procedure, self.slot_id = client, procedure, slot_id
        self.polls_after = polls_after
        self.polling = threading.Event()
        self.cancelled = threading.Event()
        self.seen: list[int] = []  # slot ids availability showed
        self.answers: list[int] = []  # status of every booking posted

    def run(self) -> list[int]:
        after = 0
        for _poll in range(400):
            rows = self.client.get(AVAILABILITY, {"procedure": self.procedure.slug}).json()
            self.seen += [row["slot"] for row in rows]
            targets = {self.slot_id} | {row["slot"] for row in rows}
            for slot_id in sorted(targets):
                response = self.client.post(APPOINTMENTS, {"slot": slot_id}, format="json")
                self.answers.append(response.status_code)
                if response.status_code == 201:
                    return self.answers
            self.polling.set()
            if self.cancelled.is_set():
                after += 1
                if after >= self.polls_after:
                    break
        return self.answers


def _broker_cancels(client, reference: str, buyer: Buyer):
    """Account A: waits until the buyer polls, then cancels at once."""
    assert buyer.polling.wait(timeout=60)
    response = client.post(f"{APPOINTMENTS}{reference}/cancel/")
    buyer.cancelled.set()
    return response


def test_in_a_queue_procedure_the_freed_seat_goes_to_the_list_never_to_the_fastest():
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    broker_x, buyer, cannot_that_day, first_eligible, second = (
        factories.ApplicantFactory() for _ in range(5)
    )
    # A (identity X) is first on the list and gets the seat by an offer it accepts.
    join = dict(procedure=procedure, site_ids=[site.pk])
    waitlist_join(actor=broker_x.user, applicant=broker_x, **join)
    slot = _slot(site, procedure, pool=Pool.QUEUE)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    appointment = offer_accept(actor=broker_x.user, offer=offer.pk)
    # Then the list, in its order: someone who cannot come on the slot's weekday,
    # the first person who can, another.
    weekday = timezone.localtime(slot.starts_at).isoweekday()
    waitlist_join(
        actor=cannot_that_day.user, applicant=cannot_that_day, weekdays_excluded=[weekday], **join
    )
    eligible = waitlist_join(actor=first_eligible.user, applicant=first_eligible, **join)
    waitlist_join(actor=second.user, applicant=second, **join)
    b = Buyer(token_client(buyer.user), procedure=procedure, slot_id=slot.pk)
    a = token_client(broker_x.user)

    answers, cancelled = race([b.run, lambda: _broker_cancels(a, appointment.reference, b)])

    assert not isinstance(answers, BaseException), repr(answers)
    assert cancelled.status_code == 200, cancelled.content
    # B never saw it, never got it: every post refused, no server error.
    assert slot.pk not in b.seen
    assert 201 not in answers and all(400 <= status < 500 for status in answers), answers
    assert not Appointment.objects.filter(applicant=buyer).exists()
    # The first eligible person holds it, as an offer; nobody else.
    [held] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (held.slot_id, held.entry_id) == (slot.pk, eligible.pk)
    slot.refresh_from_db()
    assert (slot.booked, slot.held) == (0, 1)


def test_in_an_open_procedure_a_freed_seat_comes_back_at_a_moment_nobody_knew(settings):
    settings.FREED_SEAT_DELAY_MAX_MINUTES = 30
    settings.CANCEL_COOLING_HOURS = 24
    site = factories.SiteFactory()
    procedure = factories.ProcedureFactory()  # open: first come, first served
    broker_x, buyer = factories.ApplicantFactory(), factories.ApplicantFactory()
    slot = _slot(site, procedure, pool=Pool.PUBLIC)
    a = token_client(broker_x.user)
    booked = a.post(APPOINTMENTS, {"slot": slot.pk}, format="json")
    assert booked.status_code == 201, booked.content
    b = Buyer(token_client(buyer.user), procedure=procedure, slot_id=slot.pk)

    answers, cancelled = race([b.run, lambda: _broker_cancels(a, booked.json()["reference"], b)])

    assert cancelled.status_code == 200, cancelled.content
    # While it is held out of sight B neither sees nor gets it.
    assert slot.pk not in b.seen
    assert 201 not in answers and all(400 <= status < 500 for status in answers), answers
    # The moment it comes back is told to nobody: not in A's answer.
    [release] = SeatRelease.objects.filter(slot=slot, released_at__isnull=True)
    assert release.release_at > timezone.now()
    body = cancelled.content.decode()
    assert release.release_at.isoformat()[:16] not in body
    assert timezone.localtime(release.release_at).isoformat()[:16] not in body
    # ...and it is drawn at random: a broker cannot compute it either.
    now = timezone.now()
    draws = {booking_rules.freed_seat_release_at(slot, now) for _ in range(20)}
    assert len(draws) > 10
    assert all(now < moment <= now + timedelta(minutes=30) for moment in draws)
    # A cannot book it back, before or after it is shown.
    again = a.post(APPOINTMENTS, {"slot": slot.pk}, format="json")
    assert again.status_code >= 400 and again.status_code < 500
    assert seats_release_due(now=release.release_at + timedelta(seconds=1)) == 1
    refused = a.post(APPOINTMENTS, {"slot": slot.pk}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "cancel_cooling", refused.json()
    # Shown again: B may take it now, like anyone else polling.
    taken = b.client.post(APPOINTMENTS, {"slot": slot.pk}, format="json")
    assert taken.status_code == 201, taken.content
    assert Appointment.objects.get(applicant=buyer).status == AppointmentStatus.BOOKED
