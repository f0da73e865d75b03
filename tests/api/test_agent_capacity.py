"""The agents' capacity API: the preview (same body as a publication, nothing
written), the calendar per day and pool, a slot's capacity, counters moved.
Another site's answers 404 like a missing one; non-staff get 403."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from booking.models import Pool, Publication, Slot
from booking.services import appointment_book
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.publishing import api_body

pytestmark = pytest.mark.django_db

PREVIEW = "/api/v1/agent/publications/preview/"
PUBLISH = "/api/v1/agent/publications/"
CALENDAR = "/api/v1/agent/calendar/"
MOVE = "/api/v1/agent/slots/move/"


def _slot_url(slot) -> str:
    return f"/api/v1/agent/slots/{slot.pk}/"


def _move(slot, **changes):
    body = {
        "site": slot.site.slug,
        "procedure": slot.procedure.slug,
        "starts_at": slot.starts_at.isoformat(),
        "from_pool": "public",
        "to_pool": "priority",
        "count": 1,
    }
    body.update(changes)
    return body


# --- The preview ------------------------------------------------------------------------------


def test_the_preview_answers_what_the_publication_then_creates(agent_api, site, procedure):
    first_day = timezone.localdate() + timedelta(days=1)
    agent_api.post(
        PUBLISH,
        api_body(
            site,
            procedure,
            date_to=first_day.isoformat(),
            opening_ranges=[{"start": "09:00", "end": "10:00"}],
        ),
        format="json",
    )
    before = (Slot.objects.count(), Publication.objects.count(), AuditEvent.objects.count())

    response = agent_api.post(PREVIEW, api_body(site, procedure), format="json")

    assert response.status_code == 200
    preview = response.json()
    assert (Slot.objects.count(), Publication.objects.count(), AuditEvent.objects.count()) == before
    assert preview["clashes"] == {"times": 3, "days": [first_day.isoformat()]}
    # 7 days x 6 times, less the 3 already there; public 2, mediation 1
    assert (preview["times"], preview["slots"], preview["seats"]) == (42, 78, 117)
    assert preview["pools"] == {
        "public": {"slots": 39, "seats": 78},
        "mediation": {"slots": 39, "seats": 39},
    }
    assert preview["visibility"] == {"kind": "now", "visible_at": None, "visible_window": None}
    created = agent_api.post(PUBLISH, api_body(site, procedure), format="json").json()
    assert created["created"] == preview["slots"]
    created_per_day = Counter(
        timezone.localdate(start).isoformat()
        for start in Slot.objects.filter(publication=created["publication"]).values_list(
            "starts_at", flat=True
        )
    )
    assert created_per_day == {day["date"]: day["slots"] for day in preview["days"] if day["slots"]}


def test_the_preview_refuses_like_the_publication(agent_api, other_agent_api, site, procedure):
    refused = agent_api.post(
        PREVIEW, api_body(site, procedure, mediation_counters=4), format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_publication")
    other = other_agent_api.post(PREVIEW, api_body(site, procedure), format="json")
    assert (other.status_code, other.json()["code"]) == (403, "not_allowed")


# --- The calendar -------------------------------------------------------------------------------


def test_the_calendar_answers_per_day_and_pool(agent_api, site, procedure):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=4)
    person = factories.ApplicantFactory()
    appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
    day = timezone.localdate(slot.starts_at)

    response = agent_api.get(
        CALENDAR,
        {
            "site": site.slug,
            "procedure": procedure.slug,
            "from": (day - timedelta(days=1)).isoformat(),
            "to": day.isoformat(),
        },
    )

    assert response.status_code == 200
    days = response.json()["days"]
    assert [entry["date"] for entry in days] == [
        (day - timedelta(days=1)).isoformat(),
        day.isoformat(),
    ]
    assert days[1]["pools"]["public"] == {"capacity": 4, "booked": 1, "free": 3}
    assert days[1]["pools"]["priority"] == {"capacity": 0, "booked": 0, "free": 0}
    assert days[0]["total"] == {"capacity": 0, "booked": 0, "free": 0}


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2027-01-10", "to": "2027-01-01"},
        {"from": "2027-01-01", "to": "2027-06-01"},
        {"from": "soon", "to": "2027-01-01"},
        {},
    ],
)
def test_a_bad_calendar_query_is_a_400(agent_api, site, procedure, query):
    response = agent_api.get(CALENDAR, {"site": site.slug, "procedure": procedure.slug, **query})

    assert response.status_code == 400


def test_another_site_s_calendar_answers_like_a_missing_site(other_agent_api, site, procedure):
    query = {"procedure": procedure.slug, "from": "2027-01-01", "to": "2027-01-07"}

    theirs = other_agent_api.get(CALENDAR, {**query, "site": site.slug})
    missing = other_agent_api.get(CALENDAR, {**query, "site": "no-such-site"})

    assert theirs.status_code == 404
    assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)


# --- A slot's capacity --------------------------------------------------------------------------


def test_patching_a_slot_s_capacity(agent_api, slot):
    response = agent_api.patch(_slot_url(slot), {"capacity": 1}, format="json")

    assert response.status_code == 200
    assert (response.json()["capacity"], response.json()["free"]) == (1, 1)
    assert AuditEvent.objects.filter(action=AuditAction.SLOT_CAPACITY_CHANGED).exists()


def test_a_capacity_below_booked_is_a_409(agent_api, slot):
    for _ in range(2):
        person = factories.ApplicantFactory()
        appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)

    response = agent_api.patch(_slot_url(slot), {"capacity": 1}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "capacity_below_booked")
    slot.refresh_from_db()
    assert slot.capacity == 3


@pytest.mark.parametrize("body", [{"capacity": -1}, {"capacity": 201}, {"capacity": "x"}, {}])
def test_a_bad_capacity_is_a_400(agent_api, slot, body):
    assert agent_api.patch(_slot_url(slot), body, format="json").status_code == 400


def test_another_site_s_slot_answers_like_a_missing_one(other_agent_api, slot):
    theirs = other_agent_api.patch(_slot_url(slot), {"capacity": 1}, format="json")
    missing = other_agent_api.patch(
        f"/api/v1/agent/slots/{slot.pk + 1000}/", {"capacity": 1}, format="json"
    )

    assert theirs.status_code == 404
    assert theirs.content == missing.content
    slot.refresh_from_db()
    assert slot.capacity == 3


@pytest.mark.parametrize("persona", ["applicant_user", "mediator"])
def test_non_staff_get_403(request, persona, slot):
    client = token_client(request.getfixturevalue(persona))

    response = client.patch(_slot_url(slot), {"capacity": 1}, format="json")

    assert (response.status_code, response.json()["code"]) == (403, "agents_only")


# --- Moving counters ------------------------------------------------------------------------------


def test_moving_counters_through_the_api(agent_api, slot):
    response = agent_api.post(MOVE, _move(slot, count=2), format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["created"] is True
    assert (body["source"]["capacity"], body["destination"]["capacity"]) == (1, 2)
    assert body["destination"]["pool"] == "priority"
    assert Slot.objects.get(pk=body["destination"]["id"]).pool == Pool.PRIORITY


def test_moving_booked_seats_is_a_409(agent_api, slot):
    person = factories.ApplicantFactory()
    appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)

    response = agent_api.post(MOVE, _move(slot, count=3), format="json")

    assert (response.status_code, response.json()["code"]) == (409, "not_enough_free_counters")


def test_moving_at_another_site_answers_404(other_agent_api, slot):
    response = other_agent_api.post(MOVE, _move(slot), format="json")

    assert response.status_code == 404
    assert not Slot.objects.filter(pool=Pool.PRIORITY).exists()


def test_moving_to_the_same_pool_is_a_400(agent_api, slot):
    response = agent_api.post(MOVE, _move(slot, to_pool="public"), format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invalid_capacity_change")


def test_agent_capacity_api_takes_a_bounded_number_of_queries(
    agent_api, site, procedure, django_assert_max_num_queries
):
    # The token, the user; the site and procedure; one read of capacity (a write:
    # its lock, update, re-read, audit row and the token's last use).
    slots = factories.SlotFactory.create_batch(30, site=site, procedure=procedure)
    day = timezone.localdate(slots[0].starts_at)
    calendar = {
        "site": site.slug,
        "procedure": procedure.slug,
        "from": day.isoformat(),
        "to": (day + timedelta(days=30)).isoformat(),
    }

    for method, url, body, bound in [
        # The preview also reads the procedure's allocation mode.
        ("post", PREVIEW, api_body(site, procedure), 6),
        ("get", CALENDAR, calendar, 4),
        ("patch", _slot_url(slots[0]), {"capacity": 2}, 8),
        # The move reads the site's allocation mode (the pools it may move to).
        ("post", MOVE, _move(slots[1]), 13),
    ]:
        with django_assert_max_num_queries(bound):
            if method == "get":
                response = agent_api.get(url, body)
            else:
                response = getattr(agent_api, method)(url, body, format="json")
        assert response.status_code == 200, response.content
