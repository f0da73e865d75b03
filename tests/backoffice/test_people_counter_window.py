"""The counter's window (``booking.rules.books_at_counter``): an agent booking
for a walk-in or a priority case may take any published time that has not
started (no cut-off) and one beyond the public horizon, on their pages and
through the API; applicants (and mediators) keep the online window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking import rules
from booking.models import Applicant, Appointment, Channel, Pool
from tests import factories
from tests.auth import login
from tests.backoffice.test_people import WALK_IN
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


@pytest.fixture
def procedure():
    return factories.ProcedureFactory(cutoff_hours=24, horizon_days=30)


@pytest.fixture
def in_an_hour(site, procedure):
    """A published public time starting in an hour: within the online cut-off."""
    starts = (timezone.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    return factories.SlotFactory(site=site, procedure=procedure, starts_at=starts)


@pytest.fixture
def far(site, procedure):
    """A published priority time beyond the public horizon (a court order's)."""
    starts = (timezone.now() + timedelta(days=45)).replace(hour=10, minute=0, microsecond=0)
    return factories.SlotFactory(
        site=site, procedure=procedure, starts_at=starts, pool=Pool.PRIORITY
    )


@pytest.fixture
def web(agent) -> Client:
    return login(Client(), agent)


@pytest.fixture
def person(web):
    """A walk-in the agent just registered at the counter."""
    web.post(reverse("agent:register"), WALK_IN)
    return Applicant.objects.get()


def _day(slot) -> str:
    return timezone.localdate(slot.starts_at).isoformat()


def _day_times(client, person, slot) -> list[int]:
    page = client.get(
        reverse("agent:book_days", args=[person.pk, slot.procedure.slug, slot.site.slug]),
        {"from": _day(slot), "date": _day(slot)},
    )
    assert page.status_code == 200
    return [each.pk for group in page.context["groups"] for each in group["slots"]]


def test_the_rulebook_gives_the_counter_window_to_agents_only(agent, supervisor, mediator):
    applicant = factories.ApplicantFactory()
    assert rules.books_at_counter(agent)
    assert rules.books_at_counter(supervisor)
    assert not rules.books_at_counter(mediator)
    assert not rules.books_at_counter(applicant.user)


def test_an_agent_books_a_time_in_an_hour_on_the_pages(web, agent, person, in_an_hour):
    sites = web.get(reverse("agent:book_sites", args=[person.pk, in_an_hour.procedure.slug]))
    assert [each["site__slug"] for each in sites.context["sites"]] == [in_an_hour.site.slug]
    assert _day_times(web, person, in_an_hour) == [in_an_hour.pk]

    confirm_url = reverse("agent:book_confirm", args=[person.pk, in_an_hour.pk])
    page = web.get(confirm_url)
    assert page.status_code == 200
    assert page.context["slot"].pk == in_an_hour.pk
    assert web.post(confirm_url)["Location"] == reverse("agent:person", args=[person.pk])

    appointment = Appointment.objects.get(applicant=person)
    assert appointment.slot_id == in_an_hour.pk
    assert appointment.channel == Channel.AGENT


def test_an_agent_books_beyond_the_public_horizon_on_the_pages(web, person, far):
    assert _day_times(web, person, far) == [far.pk]
    # The week shown by default is the one of the first free time, beyond the horizon.
    page = web.get(reverse("agent:book_days", args=[person.pk, far.procedure.slug, far.site.slug]))
    assert any(cell.free for cell in page.context["week"].days)
    confirm_url = reverse("agent:book_confirm", args=[person.pk, far.pk])
    assert web.get(confirm_url).status_code == 200
    web.post(confirm_url)
    assert Appointment.objects.get(applicant=person).slot_id == far.pk


def test_an_agent_moves_an_appointment_to_a_time_in_an_hour(web, person, in_an_hour, supervisor):
    later = factories.SlotFactory(site=in_an_hour.site, procedure=in_an_hour.procedure)
    from booking.services import appointment_book

    appointment = appointment_book(actor=supervisor, applicant=person, slot_id=later.pk)
    page = web.get(
        reverse("agent:appointment_reschedule", args=[person.pk, appointment.reference]),
        {"from": _day(in_an_hour), "date": _day(in_an_hour)},
    )
    assert [s.pk for group in page.context["groups"] for s in group["slots"]] == [in_an_hour.pk]
    move_url = reverse(
        "agent:appointment_reschedule_confirm",
        args=[person.pk, appointment.reference, in_an_hour.pk],
    )
    assert web.get(move_url).status_code == 200
    web.post(move_url)
    appointment.refresh_from_db()
    assert appointment.slot_id == in_an_hour.pk


def test_a_slot_that_started_is_not_offered_to_an_agent(web, person, site, procedure):
    started = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=timezone.now() - timedelta(minutes=5)
    )
    assert _day_times(web, person, started) == []
    web.post(reverse("agent:book_confirm", args=[person.pk, started.pk]))
    assert not Appointment.objects.exists()


def test_an_unpublished_time_is_not_offered_on_the_agents_pages(web, person, in_an_hour):
    in_an_hour.published_at = timezone.now() + timedelta(hours=1)
    in_an_hour.save()
    assert _day_times(web, person, in_an_hour) == []


def test_an_applicant_still_cannot_book_a_time_in_an_hour(in_an_hour, far):
    applicant = factories.ApplicantFactory()
    client = login(Client(), applicant.user)
    times = client.get(
        reverse("booking:times", args=[in_an_hour.procedure.slug, in_an_hour.site.slug]),
        {"date": _day(in_an_hour)},
    )
    assert times.status_code == 200
    assert times.context["slots"] == []
    client.post(reverse("booking:confirm", args=[in_an_hour.pk]))
    api = token_client(applicant.user)
    refused = api.post(URL, {"slot": in_an_hour.pk}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "booking_closed"
    beyond = api.post(URL, {"slot": far.pk}, format="json")
    assert beyond.status_code == 404
    assert not Appointment.objects.exists()


def test_an_agent_books_a_time_in_an_hour_through_the_api(agent, person, in_an_hour):
    api = token_client(agent)
    response = api.post(URL, {"slot": in_an_hour.pk, "applicant": person.pk}, format="json")
    assert response.status_code == 201, response.content
    assert Appointment.objects.get(applicant=person).slot_id == in_an_hour.pk


def test_an_agent_books_beyond_the_horizon_through_the_api(agent, person, far):
    api = token_client(agent)
    response = api.post(URL, {"slot": far.pk, "applicant": person.pk}, format="json")
    assert response.status_code == 201, response.content


def test_the_online_window_is_unchanged_for_applicants_and_mediators(procedure, mediator):
    now = timezone.now()
    earliest, latest, moving = rules.availability_window(procedure, now=now)
    assert earliest == now + timedelta(hours=24)
    assert latest == rules.horizon_end(procedure, now)
    assert moving
    counter = rules.availability_window(procedure, now=now, counter=True)
    assert counter == (now + timedelta(microseconds=1), None, False)


def test_a_mediator_keeps_the_online_window_on_the_console(in_an_hour, far):
    """The console offers neither a time within the cut-off nor one beyond the
    horizon, and the service refuses the first (the second answers as missing)."""
    from booking import errors
    from booking.services import appointment_book

    mediator = factories.MediatorFactory()
    walk_in = factories.ApplicantFactory(user=None, access_point=mediator.access_point)
    factories.ConsentFactory(applicant=walk_in, mediator=mediator)
    far_for_points = factories.SlotFactory(
        site=far.site, procedure=far.procedure, starts_at=far.starts_at, pool=Pool.MEDIATION
    )
    client = login(Client(), mediator)
    for slot in (in_an_hour, far_for_points):
        page = client.get(
            reverse("mediation:book_days", args=[walk_in.pk, slot.procedure.slug, slot.site.slug]),
            {"from": _day(slot), "date": _day(slot)},
        )
        assert page.status_code == 200
        assert [s.pk for group in page.context["groups"] for s in group["slots"]] == []
    assert (
        client.get(
            reverse("mediation:book_confirm", args=[walk_in.pk, far_for_points.pk])
        ).status_code
        == 404
    )
    with pytest.raises(errors.BookingClosed):
        appointment_book(actor=mediator, applicant=walk_in, slot_id=in_an_hour.pk)
    assert not Appointment.objects.exists()
