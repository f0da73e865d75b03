"""The order rule judged inside a run while others write
(``tests.helpers.waitlist_invariants.run_order_judge``, the soak's check of
every allocation run): what committed after the run's snapshot is set aside,
and a run that really skips an earlier entry is still caught. Real
transactions: each write below commits on its own, as in the soak."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from allocation.models import PriorityClass
from allocation.services import allocate, offers_allocate, waitlist_join
from booking.services import injunction_record
from tests import factories
from tests.allocation.conftest import queue_slot
from tests.helpers.waitlist_invariants import committed_before, order_problems, run_order_judge

pytestmark = pytest.mark.django_db(transaction=True)


def _snapshot() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def _join(applicant, procedure, site):
    return waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk]
    )


def test_a_court_order_joining_after_the_runs_read_is_set_aside(site, procedure, people):
    first = _join(people[0], procedure, site)
    queue_slot(site, procedure)
    before = _snapshot()
    [offer] = offers_allocate(procedure_id=procedure.pk)
    assert offer.entry_id == first.pk
    # After the run read the list: a court order for someone who then joins,
    # ahead of everyone, with no offer (the run could not have seen them).
    agent = factories.AgentFactory()
    agent.sites.add(site)
    today = timezone.localdate()
    injunction_record(
        actor=agent,
        applicant=people[1],
        court="Tribunal administratif de Montreuil",
        case_number="2601234",
        ordered_on=today,
        deadline=today + timedelta(days=30),
        procedure=procedure,
        site=site,
    )
    late = _join(people[1], procedure, site)
    assert late.priority_class == PriorityClass.COURT_ORDER

    # Judged as if nothing had changed, the run looks wrong...
    assert order_problems([offer]) == [
        f"entry {late.pk} fits slot {offer.slot_id}, comes before {first.pk}, got nothing"
    ]
    # ...judged on what could not have changed under it, it is right.
    judgement = run_order_judge([offer], snapshot=before)
    assert judgement.problems == []
    assert (judgement.judged, judgement.unjudged, judgement.set_aside) == (1, 0, 1)


def test_a_run_that_skips_an_earlier_entry_is_caught(site, procedure, people, monkeypatch):
    first = _join(people[0], procedure, site)
    second = _join(people[1], procedure, site)
    queue_slot(site, procedure)
    before = _snapshot()
    # A broken allocation: the list read backwards.
    monkeypatch.setattr(
        allocate,
        "_ENTRIES_SQL",
        allocate._ENTRIES_SQL.replace(
            "ORDER BY e.priority_class, e.queued_at, e.id",
            "ORDER BY e.priority_class DESC, e.queued_at DESC, e.id DESC",
        ),
    )
    [offer] = offers_allocate(procedure_id=procedure.pk)
    assert offer.entry_id == second.pk

    judgement = run_order_judge([offer], snapshot=before)
    assert judgement.problems == [
        f"entry {first.pk} fits slot {offer.slot_id}, comes before {second.pk}, got nothing"
    ]
    assert (judgement.judged, judgement.unjudged, judgement.set_aside) == (1, 0, 0)


def test_an_offer_whose_taker_changed_under_the_run_is_not_judged(site, procedure, people):
    first = _join(people[0], procedure, site)
    queue_slot(site, procedure)
    before = _snapshot()
    [offer] = offers_allocate(procedure_id=procedure.pk)
    # The taker's row written after the snapshot: its place when read is unknown.
    type(first).objects.filter(pk=first.pk).update(updated_at=timezone.now())

    judgement = run_order_judge([offer], snapshot=before)
    assert (judgement.judged, judgement.unjudged, judgement.problems) == (0, 1, [])


@pytest.mark.parametrize(
    ("xid", "snapshot", "now", "committed"),
    [
        (2, "100:110:", "120:130:", True),  # frozen
        (99, "100:110:", "120:130:", True),  # before every transaction in progress
        (105, "100:110:", "120:130:", True),  # finished before the snapshot
        (105, "100:110:105", "120:130:", False),  # in progress at the snapshot
        (110, "100:110:", "120:130:", False),  # began after it
        # Epoch 1 (ids past 2**32): a row's 32-bit xmin is dated by now's epoch.
        (5, "4294967300:4294967302:", "4294967305:4294967310:", True),
        (8, "4294967300:4294967302:", "4294967305:4294967310:", False),
        # A row of the previous epoch, read just after the wrap.
        (4294967290, "4294967300:4294967302:", "4294967305:4294967310:", True),
    ],
)
def test_committed_before_reads_snapshots(xid, snapshot, now, committed):
    assert committed_before(xid, snapshot=snapshot, now=now) is committed
