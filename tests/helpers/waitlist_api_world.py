"""The waiting list in the persona world, for the API's entries of the permission
matrix (``tests/helpers/matrix/fair_allocation.py``) and the route fuzzer.

Made once per world, on first use (kept for the rest of the test): a procedure
given out by its list (``waitlist-api``) at both sites of the world, and

    own       the applicant's entry at the site, offered the site's one seat
    walk_in   the walk-in's entry at the site (joined by a supervisor), no offer
    others    the other applicant's entry at the other site, offered its seat
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from allocation.models import Offer, OfferStatus, WaitlistEntry
from allocation.services import offers_allocate, waitlist_join
from booking.models import AllocationMode, AllocationPolicy, Pool, Procedure
from tests import factories
from tests.personas import World

SLUG = "waitlist-api"


def waitlist_procedure(s: World) -> Procedure:
    procedure = Procedure.objects.filter(slug=SLUG).first()
    if procedure is not None:
        return procedure
    procedure = factories.ProcedureFactory(slug=SLUG)
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    supervisor = s.users["supervisor"]
    for name, person, site in (
        ("own", s.people["applicant"], s.sites["site"]),
        ("walk_in", s.people["walk_in"], s.sites["site"]),
        ("others", s.people["other_applicant"], s.sites["other_site"]),
    ):
        waitlist_join(
            actor=person.user if name != "walk_in" else supervisor,
            applicant=person,
            procedure=procedure,
            site_ids=[site.pk],
        )
    starts_at = (timezone.now() + timedelta(days=4)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    for site in s.sites.values():
        factories.SlotFactory(
            site=site,
            procedure=procedure,
            pool=Pool.QUEUE,
            capacity=1,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=20),
        )
    offers_allocate(procedure_id=procedure.pk)
    return procedure


def waitlist_entry(s: World, name: str) -> WaitlistEntry:
    procedure = waitlist_procedure(s)
    person = {"own": "applicant", "walk_in": "walk_in", "others": "other_applicant"}[name]
    return WaitlistEntry.objects.get(procedure=procedure, applicant=s.people[person])


def waitlist_offer(s: World, name: str) -> Offer:
    return Offer.objects.get(entry=waitlist_entry(s, name), status=OfferStatus.OPEN)


def entry_kwargs(name: str) -> Callable[[World], dict]:
    return lambda s: {"pk": waitlist_entry(s, name).pk}


def offer_kwargs(name: str) -> Callable[[World], dict]:
    return lambda s: {"pk": waitlist_offer(s, name).pk}


def join_body(s: World, person: str | None = None) -> dict:
    body: dict = {"procedure": waitlist_procedure(s).slug, "sites": [s.sites["site"].slug]}
    if person is not None:
        body["applicant"] = s.people[person].pk
    return body
