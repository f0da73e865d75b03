"""Fixtures the tests of the mediators' console share: a mediator of their own
access point, logged in; two times of the same morning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.models import Pool
from tests import factories
from tests.auth import login


@pytest.fixture
def point():
    return factories.AccessPointFactory()


@pytest.fixture
def mediator(point):
    return factories.MediatorFactory(access_point=point)


@pytest.fixture
def web(mediator) -> Client:
    return login(Client(), mediator)


@pytest.fixture
def slots(site, procedure):
    """The same morning: a time kept for access points, a public one an hour later."""
    soon = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "mediation": factories.SlotFactory(
            site=site, procedure=procedure, starts_at=soon, pool=Pool.MEDIATION
        ),
        "public": factories.SlotFactory(
            site=site, procedure=procedure, starts_at=soon + timedelta(hours=1)
        ),
    }
