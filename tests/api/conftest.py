from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from booking.models import AllocationMode, AllocationPolicy
from tests import factories
from tests.helpers.api_clients import token_client


@pytest.fixture
def anonymous_api() -> APIClient:
    return APIClient()


@pytest.fixture
def applicant_api(applicant_user) -> APIClient:
    return token_client(applicant_user)


@pytest.fixture
def other_applicant_api(other_applicant) -> APIClient:
    return token_client(other_applicant.user)


@pytest.fixture
def agent_api(agent) -> APIClient:
    return token_client(agent)


@pytest.fixture
def other_agent_api(other_agent) -> APIClient:
    return token_client(other_agent)


@pytest.fixture
def mediator_api(mediator) -> APIClient:
    return token_client(mediator)


@pytest.fixture(autouse=True)
def _forget_sold_out_slots():
    """The per-process memory of full slots must not leak from one test to another."""
    from booking.api import soldout

    soldout.clear()
    yield
    soldout.clear()


@pytest.fixture(autouse=True)
def _no_availability_cache(settings):
    """Tests change slots and look again at once; the cache has its own tests."""
    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 0
    yield


@pytest.fixture
def queue_procedure(site):
    """A procedure given out by its waiting list."""
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure
