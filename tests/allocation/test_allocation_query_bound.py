"""One allocation run costs the same queries whatever the size of the list and
the number of seats: it reads the seats and the list in pages, matches in
memory, and writes the holds, the offers, their audit rows and the messages
they owe in bulk (``allocation.services.allocate``). A query per entry or per
seat would make a run over a list of 100,000 take minutes, not seconds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allocation.models import Offer, OfferStatus, WaitlistEntry
from allocation.services import offers_allocate
from audit.models import AuditAction, AuditEvent
from booking.models import AllocationMode, AllocationPolicy, Applicant, Channel, Pool
from notifications.models import Message
from tests import factories

pytestmark = pytest.mark.django_db


def _list(*, sites: int, slots: int, capacity: int, entries: int):
    """A procedure given out by its list at ``sites`` sites: ``slots`` slots of
    ``capacity`` seats spread over the sites and the days of the week, and
    ``entries`` people waiting, most with an account (SMS and e-mail owed),
    one in five a walk-in (an SMS), reaching one site or all, some
    unable to come on a weekday; every fifth declined the first slot before.
    Returns the procedure and its number of seats."""
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    places = factories.SiteFactory.create_batch(sites)
    morning = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    starts = [morning + timedelta(days=n % 7, hours=n // 7) for n in range(slots)]
    made = [
        factories.SlotFactory(
            site=places[n % sites],
            procedure=procedure,
            pool=Pool.QUEUE,
            capacity=capacity,
            starts_at=start,
            ends_at=start + timedelta(minutes=20),
        )
        for n, start in enumerate(starts)
    ]
    people = [
        factories.ApplicantFactory(user=None) if n % 5 == 4 else factories.ApplicantFactory()
        for n in range(entries)
    ]
    joined = timezone.now() - timedelta(days=30)
    waiting = WaitlistEntry.objects.bulk_create(
        WaitlistEntry(
            applicant=applicant,
            procedure=procedure,
            identity_key=applicant.identity_key,
            site_ids=[p.pk for p in places] if n % 7 != 6 else [places[n % sites].pk],
            weekdays_excluded=[1 + n % 7] if n % 4 == 1 else [],
            channel=Channel.WEB,
            joined_at=joined + timedelta(minutes=n),
            queued_at=joined + timedelta(minutes=n),
        )
        for n, applicant in enumerate(people)
    )
    Offer.objects.bulk_create(
        Offer(
            entry=entry,
            applicant_id=entry.applicant_id,
            procedure=procedure,
            slot=made[0],
            status=OfferStatus.DECLINED,
            created_at=joined,
            expires_at=joined + timedelta(hours=24),
            answered_at=joined + timedelta(hours=1),
        )
        for entry in waiting[::5]
    )
    return procedure, slots * capacity


def _run(procedure) -> tuple[list[Offer], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        offers = offers_allocate(procedure_id=procedure.pk)
    return offers, [query["sql"] for query in queries.captured_queries]


def test_a_run_costs_the_same_queries_for_5_seats_and_5_people_as_for_60_and_200():
    """Five seats among five people and sixty among two hundred, over three
    sites and every weekday: every seat is offered, each offer owes its
    messages and its audit row, and both runs make the very same queries. A
    read or a write per entry, per seat, per slot or per offer would not."""
    small, small_seats = _list(sites=3, slots=5, capacity=1, entries=5)
    large, large_seats = _list(sites=3, slots=20, capacity=3, entries=200)

    few, few_queries = _run(small)
    many, many_queries = _run(large)

    assert (len(few), len(many)) == (small_seats, large_seats) == (5, 60)
    offers = few + many
    audited = AuditEvent.objects.filter(action=AuditAction.OFFERS_MADE)
    assert audited.count() == len(offers) == 65
    # Each account holder is owed an SMS and an e-mail; a walk-in, an SMS to
    # the phone staff typed (their contacts were looked at once per run).
    offered = {offer.applicant_id for offer in offers}
    holders = set(
        Applicant.objects.filter(pk__in=offered, user__isnull=False).values_list("pk", flat=True)
    )
    assert 0 < len(holders) < len(offered) == len(offers)
    owed = Message.objects.filter(template_key="offer_made")
    assert set(owed.values_list("applicant_id", flat=True)) == offered
    assert owed.count() == 2 * len(holders) + len(offered - holders)
    assert len(many_queries) == len(few_queries), "\n".join(q[:120] for q in many_queries)
