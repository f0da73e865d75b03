"""The place shown to a person (``allocation.selectors.position_of``) follows
the list's one order rule (``allocation.rules.LIST_ORDER``, ``list_key``): the
priority class, then the moment the entry took its place, then its id. The
allocation's own read of the list is held to the same rule by the run-order
judge (``tests/helpers/waitlist_invariants.py``)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from allocation import rules
from allocation.models import PriorityClass, WaitlistEntry
from allocation.selectors import position_of
from tests.allocation.conftest import person
from tests.helpers.joins import entry_of

pytestmark = pytest.mark.django_db


def test_each_place_is_one_more_than_the_entries_before_it_by_the_order_rule(site, procedure):
    rng = random.Random(19)
    entries = [entry_of(person(), procedure, site) for _ in range(12)]
    # Classes and moments at random, with ties on both (the id then decides).
    start = timezone.now() - timedelta(days=30)
    classes = [PriorityClass.COURT_ORDER, PriorityClass.PERMIT_EXPIRING, PriorityClass.NONE]
    for entry in entries:
        entry.priority_class = rng.choice(classes)
        entry.queued_at = start + timedelta(hours=rng.choice([1, 2, 3]))
    WaitlistEntry.objects.bulk_update(entries, ["priority_class", "queued_at"])

    in_order = sorted(WaitlistEntry.objects.all(), key=rules.list_key)

    assert [position_of(entry) for entry in in_order] == list(range(1, len(entries) + 1))
