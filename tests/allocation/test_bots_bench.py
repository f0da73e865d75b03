"""A small week of ``bench/bots`` through the services (the real run: ``bash
bench/bots/run.sh``, not in the suite): its events still reach the services
they name, an ``open`` procedure still hands its seats to whoever polls
fastest (after the random delay of a freed seat), and a week of the list
keeps the list's invariants, the order rule at each allocation run included."""

from __future__ import annotations

import random

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from allocation.models import Offer, OfferStatus
from bench.bots.model import Config
from bench.bots.services import ServicesWeek, cast_seed

pytestmark = pytest.mark.django_db

CFG = Config(people=40, bots=4, seats=12, publications=2)
FILLERS = CFG.seats - round(CFG.seats * CFG.published_share)


@pytest.fixture
def cast():
    return cast_seed(CFG, FILLERS)


@override_settings(FREED_SEAT_DELAY_MAX_MINUTES=30, CANCEL_COOLING_HOURS=24)
def test_in_an_open_procedure_the_bots_polling_get_a_seat_each_first(cast):
    week = ServicesWeek(CFG, random.Random(3), cast, mode="open", run=0).run()

    assert week["bots"] == CFG.bots
    assert week["bots"] + week["people"] + week["unassigned"] == CFG.seats
    # Each freed seat was held out of sight for a while before it showed.
    assert week["freed_seats_delayed"] == FILLERS
    assert week["problems"] == []


@override_settings(FREED_SEAT_DELAY_MAX_MINUTES=30, CANCEL_COOLING_HOURS=24)
def test_a_week_of_the_list_offers_in_order_and_keeps_its_invariants(cast):
    before = timezone.now()
    week = ServicesWeek(CFG, random.Random(3), cast, mode="queue", run=0).run()

    assert week["problems"] == []
    obtained = week["bots"] + week["people"]
    assert obtained + week["unassigned"] == CFG.seats
    assert week["offers"]["accepted"] == obtained > 0
    # Offers nobody answered in the week expired and went to the next.
    assert sum(week["offers"].values()) > obtained
    # The week ran on its own clock, which is given back.
    assert Offer.objects.filter(status=OfferStatus.ACCEPTED).latest("answered_at").answered_at > (
        before
    )
    assert abs((timezone.now() - before).total_seconds()) < 60
