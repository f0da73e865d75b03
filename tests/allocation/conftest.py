"""A procedure given out by its waiting list at one site, and people to wait."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from booking.models import AllocationMode, AllocationPolicy, Pool
from tests import factories
from tests.helpers.api_clients import token_client


@pytest.fixture
def site(db):
    return factories.SiteFactory()


@pytest.fixture
def procedure(db, site):
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


@pytest.fixture
def supervisor(db):
    return factories.UserFactory(role=Role.SUPERVISOR)


def person(**user_fields):
    """An applicant with a confirmed account (their identity on file)."""
    return factories.ApplicantFactory(user=factories.UserFactory(**user_fields))


@pytest.fixture
def applicant(db):
    """One person with an account; ``api``: their API token's client."""
    return person()


@pytest.fixture
def api(applicant):
    return token_client(applicant.user)


@pytest.fixture
def people(db):
    return [person() for _ in range(5)]


def queue_slot(site, procedure, *, days: float = 3, capacity: int = 1, starts_at=None, **fields):
    """A visible slot of the list's pool, ``days`` from now (or at ``starts_at``)."""
    if starts_at is None:
        starts_at = (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0)
    return factories.SlotFactory(
        site=site,
        procedure=procedure,
        pool=Pool.QUEUE,
        capacity=capacity,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        **fields,
    )
