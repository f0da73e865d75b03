"""The beat's sweep of stale priority classes (``entries_reclassify_due``):
what time changes (a right expired, a permit come within the window) and what
no signal told (a fact written past the service) reach the stored class, and
the beat's allocation offers in the new order."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from allocation import rules
from allocation.models import Offer, OfferStatus, PriorityClass, WaitlistEntry
from allocation.services import entries_reclassify_due, waitlist_entry_permit_set
from audit.models import AuditAction, AuditEvent
from booking.models import Injunction
from tests import factories
from tests.allocation.conftest import person, queue_slot
from tests.helpers.injunctions import today
from tests.helpers.priority_classes import join_at_site, places, reclassified, right_given

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(site):
    return factories.AgentFactory(sites=[site])


def test_the_sweep_drops_an_expired_right_and_raises_a_permit_come_close(
    site, procedure, people, supervisor
):
    entries = [join_at_site(p, procedure, site) for p in people[:3]]
    right_given(people[2], procedure, valid_until=timezone.now() + timedelta(days=3))
    waitlist_entry_permit_set(
        actor=supervisor,
        entry=entries[1].pk,
        permit_expires_on=timezone.localdate() + timedelta(days=65),
    )
    assert places(entries) == [2, 3, 1]
    assert entries_reclassify_due() == 0  # nothing stale yet

    assert entries_reclassify_due(now=timezone.now() + timedelta(days=6)) == 2

    assert places(entries) == [2, 1, 3]
    assert [e.priority_class for e in entries] == [
        PriorityClass.NONE,
        PriorityClass.PERMIT_EXPIRING,
        PriorityClass.NONE,
    ]
    assert reclassified(entries[2])[-1] == (
        PriorityClass.CANCELLED_BY_PREFECTURE,
        PriorityClass.NONE,
        "sweep",
    )
    assert entries_reclassify_due(now=timezone.now() + timedelta(days=6)) == 0


def test_the_sweep_heals_a_class_no_signal_told(site, procedure, people, agent):

    entries = [join_at_site(p, procedure, site) for p in people[:2]]
    # An order written past the service (a join racing its recording, a hand
    # in the admin): no signal, the class is stale.
    Injunction.objects.create(
        court="TA Montreuil",
        case_number="26999",
        ordered_on=today(),
        deadline=today() + timedelta(days=10),
        applicant=people[1],
        procedure=procedure,
        site=site,
        recorded_by=agent,
    )
    assert places(entries) == [1, 2]

    assert entries_reclassify_due() == 1

    assert places(entries) == [2, 1]
    assert reclassified(entries[1]) == [(PriorityClass.NONE, PriorityClass.COURT_ORDER, "sweep")]


def test_the_beat_s_allocation_sweeps_stale_classes_first(site, procedure, people):
    from allocation.tasks import allocate_due_task

    entries = [join_at_site(p, procedure, site) for p in people[:2]]
    right_given(people[1], procedure, valid_until=timezone.now() + timedelta(seconds=1))
    assert places(entries) == [2, 1]
    time.sleep(1.1)  # the right expires
    queue_slot(site, procedure)

    assert allocate_due_task() == 1

    assert places(entries) == [1, 2]
    # The allocation right after the sweep offered in the new order.
    assert Offer.objects.get(status=OfferStatus.OPEN).entry_id == entries[0].pk


def test_the_sweep_finds_every_stale_class_whatever_the_mix(site, procedure, agent):
    """Over every pairing of a stored class with the facts, written past the
    service (no signal), including a permit expiring on the window's last day
    and a right just expired, the sweep (the rule in SQL) leaves each entry in
    force with the class of the rule itself (``priority_classes_of``), audited,
    and nothing for the next sweep. It fails if the SQL and the rule part."""
    now = timezone.now()
    soon = timezone.localdate() + timedelta(days=10)
    edge = rules.permit_expiring_until(now)  # the window's last day: still in it
    later = edge + timedelta(days=1)
    facts = [None, "order", "right", "expired right", "permit soon", "permit edge", "permit later"]
    entries = []
    for n, (stored, fact) in enumerate(
        (stored, fact) for stored in PriorityClass for fact in facts
    ):
        applicant = person()
        entry = join_at_site(applicant, procedure, site)
        permit = {"permit soon": soon, "permit edge": edge, "permit later": later}.get(fact)
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            priority_class=stored, permit_expires_on=permit
        )
        if fact == "order":
            Injunction.objects.create(
                court="TA Montreuil",
                case_number=f"27{n:03d}",
                ordered_on=today(),
                deadline=today() + timedelta(days=10),
                applicant=applicant,
                procedure=procedure,
                site=site,
                recorded_by=agent,
            )
        elif fact in ("right", "expired right"):
            valid_until = now + (timedelta(days=3) if fact == "right" else -timedelta(hours=1))
            factories.PriorityRightFactory(
                applicant=applicant, procedure=procedure, valid_until=valid_until
            )
        entries.append(entry)
    for entry in entries:
        entry.refresh_from_db()
    expected = rules.priority_classes_of(
        procedure_id=procedure.pk,
        permits={entry.applicant_id: entry.permit_expires_on for entry in entries},
        now=now,
    )
    stale = sum(entry.priority_class != expected[entry.applicant_id] for entry in entries)
    assert stale > len(facts)  # every kind of fact has a stale entry

    assert entries_reclassify_due(now=now) == stale

    swept = AuditEvent.objects.filter(
        action=AuditAction.WAITLIST_RECLASSIFIED, details__reason="sweep"
    )
    assert swept.count() == stale
    for entry in entries:
        entry.refresh_from_db()
    assert {e.pk: e.priority_class for e in entries} == {
        e.pk: expected[e.applicant_id] for e in entries
    }
    assert entries_reclassify_due(now=now) == 0
