"""The booking pages when nothing is free: alternatives, next free day, bad dates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import AllocationMode, AllocationPolicy, Slot
from tests import factories
from tests.helpers.booking_pages import (
    book,
    links_to,
    local_day,
    other_routes,
    routes_link_to,
    routes_missing,
)

pytestmark = pytest.mark.django_db


# --- Nothing free ----------------------------------------------------------------------------


def test_nothing_free_anywhere_says_so_and_shows_the_alternatives(logged_in, procedure):
    response = logged_in.get(reverse("booking:sites", args=[procedure.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "No free time at the moment" in html
    assert routes_link_to(response, reverse("mediation:points"))
    assert routes_link_to(response, reverse("mediation:substitution"))


def test_site_without_free_time_lists_the_other_sites_that_have_some(logged_in, procedure):
    empty_site = factories.SiteFactory()
    other = factories.SlotFactory(procedure=procedure)

    response = logged_in.get(reverse("booking:days", args=[procedure.slug, empty_site.slug]))

    html = response.content.decode()
    assert "No free time at this place" in html
    assert links_to(response, reverse("booking:days", args=[procedure.slug, other.site.slug]))
    assert routes_link_to(response, reverse("mediation:points"))
    assert routes_link_to(response, reverse("mediation:substitution"))


def test_changing_the_time_when_nothing_is_free_shows_the_other_routes(
    logged_in, applicant, procedure
):
    appointment = book(applicant, factories.SlotFactory(procedure=procedure))
    url = reverse("booking:appointment_reschedule", args=[appointment.reference])
    # No other free time at its place (nor anywhere): its own slot is left out.
    nothing_at_site = logged_in.get(url)
    # A free time at the place, but none on the day asked for.
    factories.SlotFactory(procedure=procedure, site=appointment.slot.site)
    with_free_times = logged_in.get(url)
    day = (timezone.localdate() + timedelta(days=40)).isoformat()
    empty_day = logged_in.get(url, {"date": day})

    assert "No other free time at this place." in nothing_at_site.content.decode()
    assert "No free time is left on this day." in empty_day.content.decode()
    assert routes_missing(nothing_at_site) == routes_missing(empty_day) == []
    assert other_routes(with_free_times) == ""


def test_changing_the_time_never_offers_the_waiting_list(logged_in, applicant, procedure):
    """Joining is refused while the person holds an appointment for the procedure
    (``AlreadyBooked``; the join page sends them back to it): no link that bounces."""
    appointment = book(applicant, factories.SlotFactory(procedure=procedure))
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)

    response = logged_in.get(
        reverse("booking:appointment_reschedule", args=[appointment.reference])
    )

    assert routes_missing(response) == []
    assert reverse("allocation:join", args=[procedure.slug]) not in response.content.decode()


def test_empty_week_points_to_the_next_free_day(logged_in, slot):
    later = factories.SlotFactory(
        site=slot.site,
        procedure=slot.procedure,
        starts_at=slot.starts_at + timedelta(days=21),
    )
    Slot.objects.filter(pk=slot.pk).update(booked=3)  # this week is now full
    days_url = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])

    response = logged_in.get(days_url + f"?from={local_day(slot).isoformat()}")

    html = response.content.decode()
    assert "Nothing is free this week." in html
    monday = local_day(later) - timedelta(days=local_day(later).weekday())
    assert f"from={local_day(later).isoformat()}" in html
    # Following it shows the week with the free day.
    week = logged_in.get(days_url + f"?from={local_day(later).isoformat()}").content.decode()
    assert f"from={monday.isoformat()}&amp;date={local_day(later).isoformat()}" in week


def test_week_defaults_to_the_first_free_week_and_links_both_ways(logged_in):
    slot = factories.SlotFactory(starts_at=timezone.now() + timedelta(days=15))
    days_url = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])
    day = local_day(slot)
    monday = day - timedelta(days=day.weekday())

    html = logged_in.get(days_url).content.decode()

    assert f"date={day.isoformat()}" in html
    assert f"?from={(monday - timedelta(days=7)).isoformat()}" in html
    assert f"?from={(monday + timedelta(days=7)).isoformat()}" in html


@pytest.mark.parametrize(
    "value",
    ["garbage", "2024-13-45", "9999-12-31", "0001-01-01", "", "2024-02-30", "1" * 500, "%00"],
)
def test_bad_dates_fall_back_gracefully(logged_in, applicant, slot, value):
    days_url = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])
    times_url = reverse("booking:times", args=[slot.procedure.slug, slot.site.slug])
    appointment = book(applicant, factories.SlotFactory(site=slot.site, procedure=slot.procedure))
    reschedule_url = reverse("booking:appointment_reschedule", args=[appointment.reference])

    days = logged_in.get(days_url, {"from": value})
    times = logged_in.get(times_url, {"date": value})
    reschedule = logged_in.get(reschedule_url, {"from": value, "date": value, "site": value})

    assert days.status_code == 200
    if value in ("9999-12-31", "0001-01-01"):
        assert times.status_code == 200  # a real date, simply with no free time
    else:
        assert times.status_code == 302 and times.url == days_url
    assert reschedule.status_code == 200
