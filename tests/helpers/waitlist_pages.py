"""The waiting-list states the applicant's pages are asked in, on top of the
persona world (``tests/personas.py``): a procedure ``listed`` given out by its
list at the site, the applicant on it with an open offer (``waitlist_state``,
made once per world and kept: the permission matrix), and the states the
accessibility walk visits (context managers that make and take back their rows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from allocation.links import offer_token
from allocation.models import EntryStatus, Offer, WaitlistEntry
from allocation.services import offers_allocate, waitlist_join
from booking.models import AllocationMode, AllocationPolicy, Appointment, Pool, Procedure, Slot
from tests import factories
from tests.personas import World

LISTED = "listed"


@dataclass
class WaitlistState:
    procedure: Procedure
    entry: WaitlistEntry | None = None
    offer: Offer | None = None

    @property
    def token(self) -> str:
        return offer_token(self.offer)


def listed_procedure(scenario: World) -> Procedure:
    """The procedure ``listed``, given out by its list at every site."""
    procedure = Procedure.objects.filter(slug=LISTED).first()
    if procedure is None:
        procedure = factories.ProcedureFactory(slug=LISTED)
        AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


def _queue_slot(scenario: World, procedure: Procedure, days: int = 3) -> Slot:
    starts_at = (timezone.now() + timedelta(days=days)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    return factories.SlotFactory(
        site=scenario.sites["site"],
        procedure=procedure,
        pool=Pool.QUEUE,
        capacity=1,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
    )


def _make(scenario: World, *, offer: bool = True) -> WaitlistState:
    procedure = listed_procedure(scenario)
    applicant = scenario.people["applicant"]
    entry = waitlist_join(
        actor=applicant.user,
        applicant=applicant,
        procedure=procedure,
        site_ids=[scenario.sites["site"].pk],
        weekdays_excluded=[7],
    )
    state = WaitlistState(procedure=procedure, entry=entry)
    if offer:
        _queue_slot(scenario, procedure)
        [state.offer] = offers_allocate(procedure_id=procedure.pk)
    return state


def waitlist_state(scenario: World) -> WaitlistState:
    """The applicant on the list of ``listed`` with an open offer: made once per world."""
    state = getattr(scenario, "_waitlist_pages", None)
    if state is None:
        state = _make(scenario)
        scenario._waitlist_pages = state
    return state


def _take_back() -> None:
    procedure = Procedure.objects.filter(slug=LISTED).first()
    if procedure is None:
        return
    Offer.objects.filter(procedure=procedure).delete()
    WaitlistEntry.objects.filter(procedure=procedure).delete()
    Appointment.objects.filter(procedure=procedure).delete()
    Slot.objects.filter(procedure=procedure).delete()
    AllocationPolicy.objects.filter(procedure=procedure).delete()
    procedure.delete()


@contextmanager
def _state(scenario: World, **kwargs) -> Iterator[WaitlistState]:
    _take_back()
    state = _make(scenario, **kwargs)
    scenario._waitlist_visit = state
    try:
        yield state
    finally:
        _take_back()


@contextmanager
def list_procedure(scenario: World) -> Iterator[None]:
    """The procedure ``listed`` given out by its list, nobody on it yet."""
    _take_back()
    listed_procedure(scenario)
    try:
        yield
    finally:
        _take_back()


@contextmanager
def entry_waiting(scenario: World) -> Iterator[None]:
    with _state(scenario, offer=False):
        yield


@contextmanager
def open_offer(scenario: World) -> Iterator[None]:
    with _state(scenario):
        yield


@contextmanager
def offer_expired(scenario: World) -> Iterator[None]:
    with _state(scenario) as state:
        Offer.objects.filter(pk=state.offer.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        yield


@contextmanager
def entry_paused(scenario: World) -> Iterator[None]:
    """Paused after offers let expire: the link of its last offer offers to resume."""
    with _state(scenario) as state:
        Offer.objects.filter(pk=state.offer.pk).update(
            status="expired", expires_at=timezone.now() - timedelta(minutes=1)
        )
        Slot.objects.filter(pk=state.offer.slot_id).update(held=0)
        WaitlistEntry.objects.filter(pk=state.entry.pk).update(
            status=EntryStatus.PAUSED, expiries=2
        )
        yield


def visit_entry(scenario: World) -> dict:
    return {"pk": scenario._waitlist_visit.entry.pk}


def visit_offer(scenario: World) -> dict:
    return {"pk": scenario._waitlist_visit.offer.pk}


def visit_link(scenario: World) -> dict:
    return {"token": scenario._waitlist_visit.token}
