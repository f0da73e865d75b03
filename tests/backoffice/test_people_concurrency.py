"""Agents at several counters registering the same walk-in at the same moment, on
PostgreSQL with real concurrent transactions: one record is created, every
other agent is taken to it (found on file, audited), never a second one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audit.models import AuditAction, AuditEvent
from backoffice.people_services import walk_in_found_on_file
from booking.errors import IdentityTaken
from booking.models import Applicant
from booking.services import applicant_create
from tests import factories
from tests.helpers.racing import race

AGENTS = 8


def _register(agent) -> Callable[[], int]:
    """What ``agent:register`` does with the form's identity: create, or find on file."""

    def call() -> int:
        identity = factories.identity()
        try:
            return applicant_create(actor=agent, user=None, identity=identity).pk
        except IdentityTaken:
            found = walk_in_found_on_file(actor=agent, identity=identity)
            assert found is not None
            return found.pk

    return call


@pytest.mark.django_db(transaction=True)
def test_agents_registering_the_same_walk_in_at_once_make_one_record():
    agents = [factories.AgentFactory(sites=[factories.SiteFactory()]) for _ in range(AGENTS)]

    outcomes = race([_register(agent) for agent in agents])

    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    person = Applicant.objects.get()
    assert set(outcomes) == {person.pk}
    recorded = AuditEvent.objects.filter(action=AuditAction.IDENTITY_RECORDED, applicant=person)
    found = AuditEvent.objects.filter(action=AuditAction.IDENTITY_FOUND_ON_FILE, applicant=person)
    assert recorded.count() == 1
    assert found.count() == AGENTS - 1
    assert {
        *recorded.values_list("actor_id", flat=True),
        *found.values_list("actor_id", flat=True),
    } == {agent.pk for agent in agents}
