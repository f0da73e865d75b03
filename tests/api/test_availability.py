from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Pool, Slot
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability/"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$")


def test_availability_lists_bookable_slots(applicant_api, slot):
    response = applicant_api.get(URL, {"procedure": slot.procedure.slug})

    assert response.status_code == 200
    assert response.json() == [
        {
            "slot": slot.pk,
            "site": slot.site.slug,
            "procedure": slot.procedure.slug,
            "starts_at": timezone.localtime(slot.starts_at).isoformat(),
            "ends_at": timezone.localtime(slot.ends_at).isoformat(),
            "remaining": 3,
        }
    ]


def test_availability_times_are_paris_local_with_offset(applicant_api, slot):
    row = applicant_api.get(URL, {"procedure": slot.procedure.slug}).json()[0]

    assert ISO_WITH_OFFSET.match(row["starts_at"]), row["starts_at"]
    assert ISO_WITH_OFFSET.match(row["ends_at"]), row["ends_at"]
    assert row["starts_at"][-6:] == timezone.localtime(slot.starts_at).isoformat()[-6:]


def test_availability_counts_remaining_seats_and_hides_full_slots(applicant_api, site, procedure):
    half = factories.SlotFactory(site=site, procedure=procedure, capacity=3, booked=2)
    factories.SlotFactory(site=site, procedure=procedure, capacity=3, booked=3)

    rows = applicant_api.get(URL, {"procedure": procedure.slug}).json()

    assert [(row["slot"], row["remaining"]) for row in rows] == [(half.pk, 1)]


def test_availability_hides_slots_not_yet_published(applicant_api, slot):
    Slot.objects.filter(pk=slot.pk).update(published_at=timezone.now() + timedelta(hours=1))

    assert applicant_api.get(URL, {"procedure": slot.procedure.slug}).json() == []


def test_applicants_see_public_slots_only(applicant_api, site, procedure):
    public = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PUBLIC)
    factories.SlotFactory(site=site, procedure=procedure, pool=Pool.MEDIATION)
    factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)

    rows = applicant_api.get(URL, {"procedure": procedure.slug}).json()

    assert [row["slot"] for row in rows] == [public.pk]


def test_mediators_also_see_mediation_slots(mediator_api, site, procedure):
    public = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PUBLIC)
    mediation = factories.SlotFactory(site=site, procedure=procedure, pool=Pool.MEDIATION)
    factories.SlotFactory(site=site, procedure=procedure, pool=Pool.PRIORITY)

    rows = mediator_api.get(URL, {"procedure": procedure.slug}).json()

    assert [row["slot"] for row in rows] == [public.pk, mediation.pk]


def test_agents_see_every_pool(agent_api, site, procedure):
    slots = [
        factories.SlotFactory(site=site, procedure=procedure, pool=pool)
        for pool in (Pool.PUBLIC, Pool.MEDIATION, Pool.PRIORITY)
    ]

    rows = agent_api.get(URL, {"procedure": procedure.slug}).json()

    assert [row["slot"] for row in rows] == [s.pk for s in slots]


def test_availability_filters_on_one_or_several_sites(applicant_api, procedure):
    a, b, c = factories.SiteFactory.create_batch(3)
    slot_a = factories.SlotFactory(site=a, procedure=procedure)
    slot_b = factories.SlotFactory(site=b, procedure=procedure)
    factories.SlotFactory(site=c, procedure=procedure)

    only_a = applicant_api.get(URL, {"procedure": procedure.slug, "site": a.slug}).json()
    a_and_b = applicant_api.get(URL, {"procedure": procedure.slug, "site": [a.slug, b.slug]}).json()

    assert [row["slot"] for row in only_a] == [slot_a.pk]
    assert [row["slot"] for row in a_and_b] == [slot_a.pk, slot_b.pk]


def test_availability_filters_on_local_dates(applicant_api, site, procedure):
    now = timezone.localtime()
    day = (now + timedelta(days=5)).date()
    inside = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=now.replace(hour=10, minute=0) + timedelta(days=5)
    )
    factories.SlotFactory(
        site=site, procedure=procedure, starts_at=now.replace(hour=10, minute=0) + timedelta(days=6)
    )

    rows = applicant_api.get(
        URL, {"procedure": procedure.slug, "date_from": day, "date_to": day}
    ).json()

    assert [row["slot"] for row in rows] == [inside.pk]


def test_availability_needs_a_procedure(applicant_api):
    response = applicant_api.get(URL)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "procedure" in response.json()["fields"]


def test_unknown_procedure_is_invalid(applicant_api):
    response = applicant_api.get(URL, {"procedure": "no-such-procedure"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "no-such-procedure" in response.json()["detail"]


def test_inactive_procedure_is_unknown(applicant_api, slot):
    slot.procedure.is_active = False
    slot.procedure.save(update_fields=["is_active"])

    response = applicant_api.get(URL, {"procedure": slot.procedure.slug})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_unknown_site_is_invalid(applicant_api, slot):
    response = applicant_api.get(
        URL, {"procedure": slot.procedure.slug, "site": [slot.site.slug, "atlantis"]}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "atlantis" in response.json()["detail"]
    assert "site" in response.json()["fields"]


def test_bad_date_is_invalid(applicant_api, procedure):
    response = applicant_api.get(URL, {"procedure": procedure.slug, "date_from": "2025-13-01"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "date_from" in response.json()["fields"]


def test_end_date_before_start_date_is_invalid(applicant_api, procedure):
    response = applicant_api.get(
        URL, {"procedure": procedure.slug, "date_from": "2030-02-10", "date_to": "2030-02-09"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "date_to" in response.json()["fields"]


def test_range_longer_than_92_days_is_invalid(applicant_api, procedure):
    too_long = applicant_api.get(
        URL, {"procedure": procedure.slug, "date_from": "2030-01-01", "date_to": "2030-04-03"}
    )
    longest = applicant_api.get(
        URL, {"procedure": procedure.slug, "date_from": "2030-01-01", "date_to": "2030-04-02"}
    )

    assert too_long.status_code == 400
    assert too_long.json()["code"] == "invalid"
    assert longest.status_code == 200


def test_availability_needs_authentication(anonymous_api, procedure):
    response = anonymous_api.get(URL, {"procedure": procedure.slug})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_availability_of_50_slots_over_3_sites_takes_a_constant_number_of_queries(
    applicant_api, procedure, django_assert_max_num_queries
):
    sites = factories.SiteFactory.create_batch(3)
    for i in range(50):
        factories.SlotFactory(site=sites[i % 3], procedure=procedure)

    with django_assert_max_num_queries(4):  # token, procedure, sites, slots
        response = applicant_api.get(
            URL, {"procedure": procedure.slug, "site": [s.slug for s in sites]}
        )

    assert response.status_code == 200
    assert len(response.json()) == 50
    assert {row["site"] for row in response.json()} == {s.slug for s in sites}
