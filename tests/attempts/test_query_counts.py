"""The record of attempts' pages take a bounded number of queries, however much
the record holds (searches over many weeks, alerts with their places, alert
messages)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from attempts.services import failed_search_record, record_issue
from tests import factories
from tests.auth import login
from tests.helpers.notification_factories import sent_sms

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(db):
    """A walk-in of a mediator's point with twelve weeks of attempts."""
    mediator = factories.MediatorFactory()
    person = factories.ApplicantFactory(access_point=mediator.access_point)
    sites = [factories.SiteFactory() for _ in range(3)]
    procedures = [factories.ProcedureFactory() for _ in range(2)]
    now = timezone.now()
    for day in range(0, 84, 3):
        for procedure in procedures:
            failed_search_record(
                user=person.user,
                procedure=procedure.slug,
                sites=[site.slug for site in sites],
                now=now - timedelta(days=day, hours=1),
            )
        sent_sms(applicant=person, template_key="new_slots", sent_at=now - timedelta(days=day))
    for procedure in procedures:
        alert = factories.AlertSubscriptionFactory(applicant=person, procedure=procedure)
        alert.sites.set(sites)
    return mediator, person


# What each request takes: the session and its user (2; staff: and their second
# factor, 1), the person (1: the identity, or the person through the permission's
# filter), the record's reads (searches, alerts, their places, messages, the
# substitution requests: 5), and
# for a PDF the issue (the rate limit is the cache's; a savepoint, the record,
# the audit row and its release: 4). The verification: the record (1).
BOUNDS = {
    "attempts:record": 8,
    "attempts:record_pdf": 12,
    "attempts:record_for_person_page": 9,
    "attempts:record_for_person": 13,
    "attempts:verify_form": 0,
    "attempts:verify": 1,
}


def test_attempts_pages_take_a_bounded_number_of_queries(
    client, busy, django_assert_max_num_queries
):
    mediator, person = busy
    code = record_issue(actor=person.user, applicant=person).code
    asks = [
        (person.user, "attempts:record", {}),
        (person.user, "attempts:record_pdf", {}),
        (mediator, "attempts:record_for_person_page", {"applicant_id": person.pk}),
        (mediator, "attempts:record_for_person", {"applicant_id": person.pk}),
        (None, "attempts:verify_form", {}),
        (None, "attempts:verify", {"code": code}),
    ]
    for user, name, kwargs in asks:
        client.logout()
        if user is not None:
            login(client, user)
        client.get(reverse("home"))  # the session's first reads, out of the count
        with django_assert_max_num_queries(BOUNDS[name]):
            response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
