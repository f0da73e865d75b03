"""The agents' pages about people when nothing is free at the agent's sites:
the box of the other routes (transparency, access points, substitution) and,
where the list gives the procedure out at a site the agent acts at, the
waiting list. The people and places are ``test_people.py``'s fixtures,
imported by name (hence F811: pytest hands them to the tests' arguments)."""

# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import AllocationMode, AllocationPolicy, Appointment
from tests import factories
from tests.auth import login
from tests.backoffice.test_people import _day, here, other_site, slots, soon, web  # noqa: F401
from tests.helpers.booking_pages import other_routes, routes_link_to, routes_missing

pytestmark = pytest.mark.django_db


# --- Nothing free at the agent's sites: the other routes --------------------------------------


def _nothing_free(client: Client, person, procedure):
    response = client.get(reverse("agent:book_sites", args=[person.pk, procedure.slug]))
    assert other_routes(response)
    return response


def test_nothing_free_links_to_transparency_access_points_and_substitution(web, here):
    response = _nothing_free(web, here, factories.ProcedureFactory())

    assert routes_missing(response) == []
    # Not given out by a list: no waiting list to offer.
    assert not routes_link_to(response, reverse("agent:waitlist_join", args=[here.pk]))


def test_nothing_free_offers_the_waiting_list_given_out_at_the_agents_site(web, here, site):
    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, site=site, mode=AllocationMode.QUEUE)

    response = _nothing_free(web, here, procedure)

    assert routes_link_to(response, reverse("agent:waitlist_join", args=[here.pk]))


def test_nothing_free_offers_only_a_list_given_out_at_a_site_the_agent_acts_at(
    web, here, site, other_site, supervisor
):
    """A list at another site only, or the procedure's list overridden at the
    agent's site: not for the agent (their join form would not list it); a
    supervisor acts at every site."""
    elsewhere, overridden = factories.ProcedureFactory(), factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=elsewhere, site=other_site, mode=AllocationMode.QUEUE)
    AllocationPolicy.objects.create(procedure=overridden, mode=AllocationMode.QUEUE)
    AllocationPolicy.objects.create(procedure=overridden, site=site, mode=AllocationMode.OPEN)
    join = reverse("agent:waitlist_join", args=[here.pk])

    assert not routes_link_to(_nothing_free(web, here, elsewhere), join)
    assert not routes_link_to(_nothing_free(web, here, overridden), join)
    assert routes_link_to(_nothing_free(login(Client(), supervisor), here, elsewhere), join)


def test_a_day_with_nothing_free_shows_the_other_routes_when_booking_or_moving(web, here):
    """The days of a place and the change of time: on a day with nothing free,
    the box of the other routes (the waiting list is offered on the places page);
    on a day with free times, none."""
    appointment = Appointment.objects.get(applicant=here)
    procedure, site = appointment.procedure, appointment.slot.site
    far = (timezone.localdate() + timedelta(days=40)).isoformat()
    days = reverse("agent:book_days", args=[here.pk, procedure.slug, site.slug])
    move = reverse("agent:appointment_reschedule", args=[here.pk, appointment.reference])

    for response in (web.get(days, {"date": far}), web.get(move, {"date": far})):
        assert response.status_code == 200
        assert routes_missing(response) == []
    free_day = _day(Appointment.objects.get(applicant=here).slot)
    assert other_routes(web.get(days, {"date": free_day})) == ""
