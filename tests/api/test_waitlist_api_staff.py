"""Staff on the waiting list through the API: an agent joins a person at
their site and answers their offers, a supervisor records a permit that
expires soon; staff of another site or point are told no such person.

Mediators: their consent for the waiting list is asked through
``allocation.signals.acting_for_entry``, whose receiver is mediation's (its own
tests); here a mediator of another point is refused like a missing entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from allocation.models import OfferStatus, PriorityClass, WaitlistEntry
from allocation.services import waitlist_join
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.joins import OFFERS, WAITLIST, join_by_api, offer_to

pytestmark = pytest.mark.django_db


def test_an_agent_joins_a_person_at_their_site(agent, applicant, queue_procedure, site):
    api = token_client(agent)

    response = join_by_api(api, queue_procedure, site, applicant=applicant.pk)

    assert response.status_code == 201, response.json()
    entry = WaitlistEntry.objects.get(applicant=applicant)
    assert entry.created_by == agent
    listed = api.get(WAITLIST, {"applicant": applicant.pk}).json()["results"]
    assert [row["id"] for row in listed] == [entry.pk]


def test_staff_must_name_the_person(agent, queue_procedure, site):
    api = token_client(agent)

    for response in (join_by_api(api, queue_procedure, site), api.get(WAITLIST)):
        assert response.status_code == 400
        assert "applicant" in response.json()["fields"]
    assert not WaitlistEntry.objects.exists()


def test_an_agent_of_another_site_can_neither_join_nor_see(
    other_agent, applicant, queue_procedure, site
):
    api = token_client(other_agent)
    offer = offer_to(applicant, queue_procedure, site)

    joined = join_by_api(api, queue_procedure, site, applicant=factories.ApplicantFactory().pk)

    assert (joined.status_code, joined.json()["code"]) == (403, "not_allowed")
    assert api.get(f"{WAITLIST}{offer.entry_id}/").status_code == 404
    assert api.delete(f"{WAITLIST}{offer.entry_id}/").status_code == 404
    assert api.get(f"{OFFERS}{offer.pk}/").status_code == 404
    assert api.post(f"{OFFERS}{offer.pk}/accept/").status_code == 404
    assert api.get(OFFERS).json()["results"] == []
    assert api.get(WAITLIST, {"applicant": applicant.pk}).json()["results"] == []
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    assert WaitlistEntry.objects.count() == 1


def test_an_agent_sees_and_answers_the_offers_at_their_site(
    agent, applicant, queue_procedure, site
):
    api = token_client(agent)
    offer = offer_to(applicant, queue_procedure, site)

    assert [row["id"] for row in api.get(OFFERS).json()["results"]] == [offer.pk]
    response = api.post(f"{OFFERS}{offer.pk}/decline/")

    assert response.status_code == 200
    assert response.json()["status"] == "declined"


def test_a_supervisor_records_a_renewal_whose_permit_expires_soon(
    supervisor, applicant_api, applicant, other_applicant, queue_procedure, site
):
    soon = (timezone.localdate() + timedelta(days=20)).isoformat()
    join_by_api(applicant_api, queue_procedure, site, permit_expires_on=soon)  # ignored: not staff

    response = join_by_api(
        token_client(supervisor),
        queue_procedure,
        site,
        applicant=other_applicant.pk,
        permit_expires_on=soon,
    )

    assert response.status_code == 201
    assert response.json()["permit_expires_on"] == soon
    # Before the applicant who joined first.
    assert token_client(supervisor).get(response["Location"]).json()["position"] == 1
    own = WaitlistEntry.objects.get(applicant=applicant)
    assert (own.permit_expires_on, own.priority_class) == (None, PriorityClass.NONE)
    assert WaitlistEntry.objects.get(applicant=other_applicant).priority_class == (
        PriorityClass.PERMIT_EXPIRING
    )


def test_a_mediator_of_another_point_is_told_no_such_person(queue_procedure, site):
    walk_in = factories.ApplicantFactory(user=None, access_point=factories.AccessPointFactory())
    entry = waitlist_join(
        actor=factories.UserFactory(role=Role.SUPERVISOR),
        applicant=walk_in,
        procedure=queue_procedure,
        site_ids=[site.pk],
    )
    api = token_client(factories.MediatorFactory())

    assert api.get(f"{WAITLIST}{entry.pk}/").status_code == 404
    joined = join_by_api(api, queue_procedure, site, applicant=walk_in.pk)
    assert (joined.status_code, joined.json()["code"]) == (404, "applicant_not_found")
    assert api.get(WAITLIST, {"applicant": walk_in.pk}).status_code == 404
