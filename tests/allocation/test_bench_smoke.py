"""A smoke test of the allocation's benchmark at a tiny scale (the real run:
``bash bench/allocation/run.sh``, not in the suite): its bulk seed still
matches the tables (a new column without a default broke it once), the
allocation offers every seat once, accepts turn holds into bookings, and the
bench's own check agrees; the seeded classes follow the seeded facts (the
sweep it times changes none)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from accounts.models import User
from allocation.models import Offer, OfferStatus, WaitlistEntry
from allocation.services import offer_accept
from bench.allocation.__main__ import allocate_all, check, sweep
from bench.allocation.seed import seed

pytestmark = pytest.mark.django_db(transaction=True)  # the seed runs VACUUM


def test_the_allocation_bench_seeds_offers_and_checks_at_a_tiny_scale():
    world = seed(entries=300, seats=60, rng=random.Random(19))
    classes = Counter(WaitlistEntry.objects.values_list("priority_class", flat=True))
    assert len(classes) == 4  # every class, each from its facts

    assert sweep(1)["changed"] == 0

    _clock, runs = allocate_all(world["procedure"])

    assert sum(runs) == 60
    assert runs[-1] == 0
    offers = list(Offer.objects.filter(status=OfferStatus.OPEN).order_by("pk")[:10])
    for offer in offers:
        offer_accept(actor=User.objects.get(applicant__pk=offer.applicant_id), offer=offer.pk)
    assert check(world["procedure"], 60, len(offers)) == []
    # The check sees a leak: a seat held that no offer holds.
    Offer.objects.filter(pk=offers[0].pk).update(status=OfferStatus.OPEN)
    assert check(world["procedure"], 60, len(offers))
