"""The closures API: /api/v1/agent/closures/ (list, preview, create) and its lift."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Appointment, AppointmentStatus, Closure, ClosureKind, Slot
from booking.services import appointment_book, closure_create
from tests import factories
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/agent/closures/"


def _booked(site, procedure, people=2):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=people)
    for _ in range(people):
        person = factories.ApplicantFactory()
        appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
    return slot


def _body(site, slot, **more):
    return {
        "site": site.slug,
        "starts_at": (slot.starts_at - timedelta(minutes=1)).isoformat(),
        "ends_at": (slot.ends_at + timedelta(minutes=1)).isoformat(),
        "kind": ClosureKind.STRIKE,
        "reason": "Grève",
        **more,
    }


def test_preview_then_close_then_lift(agent, site, procedure):
    slot = _booked(site, procedure)
    api = token_client(agent)

    preview = api.post(URL, _body(site, slot, preview=True), format="json")
    assert preview.status_code == 200
    assert preview.json() == {"slots": 1, "appointments": 2, "procedures": 1}
    assert not Closure.objects.exists()

    created = api.post(URL, _body(site, slot), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["slots_closed"] == 1 and body["appointments_cancelled"] == 2
    assert body["site"] == site.slug and body["procedure"] is None
    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED).count() == 2

    again = api.post(URL, _body(site, slot), format="json")
    assert again.status_code == 201 and again.json()["id"] == body["id"]

    listed = api.get(URL, {"site": site.slug})
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]

    lifted = api.post(f"{URL}{body['id']}/lift/")
    assert lifted.status_code == 200 and lifted.json()["lifted_at"] is not None
    slot.refresh_from_db()
    assert slot.closure_id is None and slot.capacity == 2
    assert api.post(f"{URL}{body['id']}/lift/").json()["code"] == "closure_already_lifted"


def test_another_sites_agent_gets_404_everywhere(agent, other_agent, site, procedure):
    slot = _booked(site, procedure)
    closure = closure_create(
        actor=agent,
        site=site,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind=ClosureKind.OTHER,
        reason="Travaux",
    )
    api = token_client(other_agent)

    refused = api.post(URL, _body(site, slot), format="json")
    assert refused.status_code == 404
    assert refused.json()["code"] == "site_not_found"
    unknown = api.post(URL, {**_body(site, slot), "site": "no-such-site"}, format="json")
    assert unknown.status_code == 404 and unknown.json() == refused.json()
    assert api.post(f"{URL}{closure.pk}/lift/").status_code == 404
    assert (
        api.post(f"{URL}{closure.pk + 1000}/lift/").json()
        == api.post(f"{URL}{closure.pk}/lift/").json()
    )
    assert api.get(URL).json()["results"] == []
    closure.refresh_from_db()
    assert closure.lifted_at is None


def test_applicants_are_refused(applicant):
    api = token_client(applicant.user)
    assert api.get(URL).status_code == 403
    assert api.post(URL, {}, format="json").status_code == 403


def test_a_bad_closure_is_a_400_and_writes_nothing(agent, site):
    api = token_client(agent)
    start = timezone.now() + timedelta(days=2)
    body = {
        "site": site.slug,
        "starts_at": start.isoformat(),
        "ends_at": start.isoformat(),
        "kind": "strike",
        "reason": "x",
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "closure_range_invalid"
    assert api.post(URL, {**body, "kind": "nope"}, format="json").status_code == 400
    assert not Closure.objects.exists() and not Slot.objects.filter(closure__isnull=False).exists()
