"""The persona world's waiting list, for the staff's waiting-list routes in the
harnesses (the permission matrix, the query bounds, the accessibility visits):
a procedure ``listed`` given out by its list at every site, the walk-in on its
list at the site (through the supervisor: no consent asked) and, once a seat
of the list is free, their open offer. Each helper makes what is missing and
gives back what is there (the harnesses call them once per case)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from allocation.models import ENTRY_IN_FORCE, Offer, OfferStatus, WaitlistEntry
from allocation.services import offers_allocate, waitlist_join
from booking.models import AllocationMode, AllocationPolicy, Pool, Procedure
from tests import factories
from tests.personas import World

LISTED = "listed-by-staff"


def listed_procedure(s: World) -> Procedure:
    procedure = Procedure.objects.filter(slug=LISTED).first()
    if procedure is None:
        procedure = factories.ProcedureFactory(slug=LISTED)
        AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


def walk_in_entry(s: World) -> WaitlistEntry:
    procedure = listed_procedure(s)
    walk_in = s.people["walk_in"]
    entry = WaitlistEntry.objects.filter(
        applicant=walk_in, procedure=procedure, status__in=ENTRY_IN_FORCE
    ).first()
    if entry is None:
        entry = waitlist_join(
            actor=s.users["supervisor"],
            applicant=walk_in,
            procedure=procedure,
            site_ids=[s.sites["site"].pk],
        )
    return entry


def walk_in_offer(s: World) -> Offer:
    entry = walk_in_entry(s)
    offer = Offer.objects.filter(entry=entry, status=OfferStatus.OPEN).first()
    if offer is None:
        starts_at = s.slots["free"].starts_at + timedelta(hours=2)
        factories.SlotFactory(
            site=s.sites["site"],
            procedure=entry.procedure,
            pool=Pool.QUEUE,
            capacity=1,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=20),
        )
        [offer] = offers_allocate(procedure_id=entry.procedure_id)
    return offer


def join_data(s: World) -> dict:
    return {"procedure": listed_procedure(s).pk, "sites": [s.sites["site"].pk]}


def change_data(s: World) -> dict:
    """The walk-in's entry, changed: the same site, Sundays excluded."""
    return {"sites": [s.sites["site"].pk], "weekdays_excluded": ["7"]}


def entry_kwargs(person: str = "walk_in"):
    return lambda s: {"pk": s.people[person].pk, "entry_id": walk_in_entry(s).pk}


def offer_kwargs(s: World) -> dict:
    return {"pk": s.people["walk_in"].pk, "offer_id": walk_in_offer(s).pk}


@contextmanager
def with_a_list(s: World) -> Iterator[None]:
    """The accessibility visits' state: the procedure ``listed``, the walk-in on
    its list with an open offer (left in place: the helpers make them once)."""
    walk_in_offer(s)
    yield
