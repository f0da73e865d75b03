"""One rulebook: change a rule in ``booking.rules`` and every caller follows.

Each test replaces one rule (the cut-off, the horizon, "changeable") for the
length of the test and asks the pages, the API (availability, the booking and
its fast refusal of full slots), the availability cache's expiry and the
services. A caller that restated the rule instead of asking ``booking.rules``
would still answer by the old one, and the test would fail.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import availability_cache, errors, rules
from booking.api import soldout
from booking.models import Slot
from booking.services import appointment_book, appointment_cancel
from tests import factories
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

AVAILABILITY = "/api/v1/availability/"
APPOINTMENTS = "/api/v1/appointments/"


@pytest.fixture(autouse=True)
def _fresh_answers(settings):
    """Each question is answered afresh (the cache's expiry is still computed)."""
    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 0


def _slot(site, procedure, *, hours: float, **fields) -> Slot:
    starts_at = (timezone.now() + timedelta(hours=hours)).replace(microsecond=0)
    return factories.SlotFactory(
        site=site,
        procedure=procedure,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        **fields,
    )


def _listed(api, procedure) -> list[int]:
    response = api.get(AVAILABILITY, {"procedure": procedure.slug})
    assert response.status_code == 200
    return [row["slot"] for row in response.json()]


def _expiries(monkeypatch) -> list[float | None]:
    """The moments the availability view gives the cache, as it stores its answers."""
    seen: list[float | None] = []
    store = availability_cache.store

    def spy(parts, found, body, *, changes_at):
        seen.append(changes_at)
        store(parts, found, body, changes_at=changes_at)

    monkeypatch.setattr(availability_cache, "store", spy)
    return seen


def test_a_longer_cut_off_closes_the_same_slots_everywhere(
    client, applicant, site, procedure, monkeypatch
):
    # Given a slot in 30 hours and one in 60, with the procedure's cut-off of 2 hours
    closing = _slot(site, procedure, hours=30)
    open_ = _slot(site, procedure, hours=60)
    api = token_client(applicant.user)
    assert _listed(api, procedure) == [closing.pk, open_.pk]

    # When the cut-off rule says 48 hours
    monkeypatch.setattr(rules, "cutoff", lambda procedure: timedelta(hours=48))
    expiries = _expiries(monkeypatch)

    # Then availability lists only the later slot, and its answer expires when
    # that slot closes by the same rule
    assert _listed(api, procedure) == [open_.pk]
    assert expiries == [(open_.starts_at - timedelta(hours=48)).timestamp()]
    # the pages say the earlier time is no longer available, the later one is offered
    client.force_login(applicant.user)
    refused = client.get(reverse("booking:confirm", args=[closing.pk]))
    assert refused.status_code == 302
    assert reverse("booking:times", args=[procedure.slug, site.slug]) in refused.url
    assert client.get(reverse("booking:confirm", args=[open_.pk])).status_code == 200
    # the calendar opens on the first day one may still book
    first_day = timezone.localdate(timezone.now() + timedelta(hours=48))
    days = reverse("booking:days", args=[procedure.slug, site.slug])
    week = client.get(days, {"from": first_day.isoformat()}).context["week"]
    assert min(cell.day for cell in week.days if cell.open) == first_day
    # and booking refuses it, through the API and the service
    response = api.post(APPOINTMENTS, {"slot": closing.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "booking_closed")
    with pytest.raises(errors.BookingClosed):
        appointment_book(actor=applicant.user, applicant=applicant, slot_id=closing.pk)
    assert api.post(APPOINTMENTS, {"slot": open_.pk}, format="json").status_code == 201


def test_a_shorter_horizon_hides_the_same_slots_everywhere(
    client, applicant, other_applicant, site, procedure, monkeypatch
):
    # Given a free slot and a full one three days ahead, and one tomorrow
    near = _slot(site, procedure, hours=24)
    far = _slot(site, procedure, hours=72)
    far_full = _slot(site, procedure, hours=73, capacity=1, booked=1)
    api = token_client(applicant.user)
    assert _listed(api, procedure) == [near.pk, far.pk]
    full = api.post(APPOINTMENTS, {"slot": far_full.pk}, format="json")
    assert (full.status_code, full.json()["code"]) == (409, "slot_full")

    # When the horizon rule ends two days from now
    monkeypatch.setattr(rules, "horizon_end", lambda procedure, now: now + timedelta(days=2))
    soldout.clear()  # the full slot was remembered as full a moment ago

    # Then the later slots answer as missing ones everywhere: availability,
    assert _listed(api, procedure) == [near.pk]
    # the pages,
    client.force_login(applicant.user)
    assert client.get(reverse("booking:confirm", args=[far.pk])).status_code == 404
    assert client.get(reverse("booking:confirm", args=[near.pk])).status_code == 200
    # the API's booking and its fast refusal of full slots,
    for hidden in (far, far_full):
        response = api.post(APPOINTMENTS, {"slot": hidden.pk}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "slot_not_found")
    # and the service
    with pytest.raises(errors.SlotNotFound):
        appointment_book(actor=other_applicant.user, applicant=other_applicant, slot_id=far.pk)


def test_what_may_be_changed_is_decided_once(client, applicant, site, procedure, monkeypatch):
    # Given an appointment that may be cancelled
    appointment = appointment_book(
        actor=applicant.user, applicant=applicant, slot_id=_slot(site, procedure, hours=48).pk
    )
    client.force_login(applicant.user)
    detail = reverse("booking:appointment_detail", args=[appointment.reference])
    assert client.get(detail).context["changeable"] is True

    # When the rule says no appointment may be changed any more
    monkeypatch.setattr(rules, "change_refusal", lambda appointment, now: errors.AppointmentPast())

    # Then the pages stop offering it, and the API and the service refuse it
    assert client.get(detail).context["changeable"] is False
    cancel_page = client.get(reverse("booking:appointment_cancel", args=[appointment.reference]))
    assert (cancel_page.status_code, cancel_page.url) == (302, detail)
    api = token_client(applicant.user)
    response = api.post(f"{APPOINTMENTS}{appointment.reference}/cancel/")
    assert (response.status_code, response.json()["code"]) == (409, "appointment_past")
    with pytest.raises(errors.AppointmentPast):
        appointment_cancel(actor=applicant.user, appointment=appointment)
