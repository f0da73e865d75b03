"""The demo's court orders (``demo.court``): one in each state an agent meets,
recorded once however often the demo is seeded."""

from __future__ import annotations

import pytest

from booking.injunctions import injunction_state
from booking.models import Injunction, InjunctionState
from demo.court import ORDERS
from demo.seed import demo_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug_on(settings):
    settings.DEBUG = True


def test_the_demo_has_an_order_in_each_state_and_seeds_them_once():
    demo_seed()
    demo_seed()

    orders = list(Injunction.objects.select_related("appointment__slot"))
    assert len(orders) == len(ORDERS)
    assert {injunction_state(order) for order in orders} == {
        InjunctionState.OVERDUE,
        InjunctionState.AT_RISK,
        InjunctionState.OPEN,
        InjunctionState.IN_TIME,
    }
