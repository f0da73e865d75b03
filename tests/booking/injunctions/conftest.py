"""Fixtures the tests of court-ordered convocations share."""

from __future__ import annotations

import pytest

from booking.models import Pool
from tests import factories
from tests.helpers.injunctions import record


@pytest.fixture
def walk_in(db):
    """A person without an account, with a phone and an e-mail typed by staff."""
    return factories.ApplicantFactory(user=None, email="awa@example.test")


@pytest.fixture
def priority_slot(site, procedure):
    return factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)


@pytest.fixture
def order(agent, walk_in, procedure, site):
    return record(agent, walk_in, procedure, site)
