"""Whenever seats of a list's pool become available, something else than the
test runs the allocation: the seats go to the first people on the list who fit,
with nobody calling ``offers_allocate`` by hand.

- capacity published visible now: booking's publishing service says so
  (``queue_capacity_changed``) and the list is offered it once that commits;
- capacity published for a later moment: offered neither at the commit, nor by
  the beat's minute, nor to someone joining before the moment (an offer would
  tell its slot, and so the publication's moment, ahead of everyone); once the
  clock passes it, the beat's minute offers it;
- a closure lifted: the seats it gives back (``capacity_reopened``) are
  offered once the lift commits.

A cancelled appointment's seat going to the head of the list (``seat_freed``)
is ``test_a_cancelled_appointment_of_the_list_goes_back_to_the_list`` in
``tests/allocation/test_offers.py``; a declined or expired offer's, the tests
of declining and expiry there.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from allocation.models import Offer, OfferStatus
from booking.models import ClosureKind, Pool, Slot
from booking.services import closure_create, closure_lift
from core.tasks import task_publish
from tests.allocation.conftest import queue_slot
from tests.helpers.joins import entry_of
from tests.helpers.publishing import publish

pytestmark = pytest.mark.django_db

BEAT_ALLOCATION = "allocation.allocate_due"


@pytest.fixture(autouse=True)
def _every_join_asks(settings):
    """Every join asks whether seats wait (not once a second per procedure): a
    join before the moment would be offered what the list's reads let through."""
    settings.WAITLIST_JOIN_SEATS_CHECK_SECONDS = 0


def _publish(agent, site, procedure, **visibility):
    """An agent publishes one counter, 09:00-10:00 three days from now (three
    20-minute seats, all of the list's pool: the procedure is given out by it)."""
    day = timezone.localdate() + timedelta(days=3)
    return publish(
        agent,
        site,
        procedure,
        date_from=day,
        date_to=day,  # the helper's morning: 09:00-10:00
        slot_minutes=20,
        **visibility,
    )


def _open_offers() -> list[Offer]:
    return list(Offer.objects.filter(status=OfferStatus.OPEN).order_by("slot__starts_at", "pk"))


def _beat_minute() -> None:
    """The beat's allocation, as the beat sends it: the task named in its
    schedule, every minute, run here (Celery is eager in the tests)."""
    [entry] = [
        e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == BEAT_ALLOCATION
    ]
    assert entry["schedule"] == 60.0
    task_publish(entry["task"], args=())


def _clock_past(monkeypatch, moment) -> None:
    """Move the clock (``timezone.now``, still ticking) to a minute past ``moment``."""
    real = timezone.now
    shift = moment + timedelta(minutes=1) - real()
    monkeypatch.setattr(timezone, "now", lambda: real() + shift)


def test_capacity_published_visible_now_is_offered_once_the_publication_commits(
    site, procedure, agent, people, django_capture_on_commit_callbacks
):
    first, second = (entry_of(p, procedure, site) for p in people[:2])

    with django_capture_on_commit_callbacks(execute=True):
        result = _publish(agent, site, procedure)
        # Inside the publication's transaction nothing is offered yet: the
        # offers' notices must never name a slot that could still roll back.
        assert _open_offers() == []

    slots = list(Slot.objects.filter(publication=result.publication).order_by("starts_at"))
    assert [s.pool for s in slots] == [Pool.QUEUE] * 3
    offers = _open_offers()
    assert [(o.entry_id, o.slot_id) for o in offers] == [
        (first.pk, slots[0].pk),
        (second.pk, slots[1].pk),
    ]


def test_capacity_published_for_later_waits_for_its_moment_then_the_beat_offers_it(
    site, procedure, agent, people, monkeypatch, django_capture_on_commit_callbacks
):
    first = entry_of(people[0], procedure, site)
    moment = timezone.now() + timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        result = _publish(agent, site, procedure, visible_at=moment)
    assert result.created == 3 and result.publication.visible_at == moment
    # Before its moment nothing tells the slots: not the commit, not the beat's
    # minute, not someone joining then (a join asks whether seats wait).
    assert _open_offers() == []
    _beat_minute()
    assert _open_offers() == []
    with django_capture_on_commit_callbacks(execute=True):
        second = entry_of(people[1], procedure, site)
    assert _open_offers() == []

    _clock_past(monkeypatch, moment)
    with django_capture_on_commit_callbacks(execute=True):
        _beat_minute()

    slots = list(Slot.objects.filter(publication=result.publication).order_by("starts_at"))
    offers = _open_offers()
    assert [(o.entry_id, o.slot_id) for o in offers] == [
        (first.pk, slots[0].pk),
        (second.pk, slots[1].pk),
    ]
    assert all(o.created_at > moment for o in offers)


def test_the_seats_a_lifted_closure_gives_back_are_offered_once_the_lift_commits(
    site, procedure, agent, people, django_capture_on_commit_callbacks
):
    slot = queue_slot(site, procedure, capacity=2)
    closure = closure_create(
        actor=agent,
        site=site,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind=ClosureKind.STRIKE,
        reason="Grève",
    )
    # People join while it is closed: nothing of it is theirs to be offered.
    entries = [entry_of(p, procedure, site) for p in people[:3]]
    assert _open_offers() == []

    with django_capture_on_commit_callbacks(execute=True):
        closure_lift(actor=agent, closure=closure)
        assert _open_offers() == []

    # Its two seats go to the first two people, in the list's order.
    assert [(o.entry_id, o.slot_id) for o in _open_offers()] == [
        (entries[0].pk, slot.pk),
        (entries[1].pk, slot.pk),
    ]
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.held) == (2, 0, 2)
