"""A person changes the places they can reach and the days they cannot come
without losing their place: the moment they joined and their group stay. An
open offer the new choice no longer fits goes to the next person (the
person's own doing: not told); a seat waiting at a place now listed is
offered. Through the service, the API (``PATCH /api/v1/waitlist/<id>/``) and
the applicant's page; staff as for every answer on the list."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from allocation import errors
from allocation.models import EntryStatus, Offer, OfferStatus, PriorityClass
from allocation.selectors import position_of
from allocation.services import (
    offers_allocate,
    waitlist_entry_change,
    waitlist_join,
    waitlist_leave,
)
from audit.models import AuditAction, AuditEvent
from booking import errors as booking_errors
from booking.models import AllocationMode, AllocationPolicy
from notifications.models import Message
from tests import factories
from tests.allocation.conftest import queue_slot
from tests.auth import login
from tests.helpers.api_clients import token_client

pytestmark = pytest.mark.django_db

WAITLIST = "/api/v1/waitlist/"


@pytest.fixture
def second_site(procedure):
    return factories.SiteFactory()


def _join(applicant, procedure, *sites, **kwargs):
    return waitlist_join(
        actor=applicant.user,
        applicant=applicant,
        procedure=procedure,
        site_ids=[site.pk for site in sites],
        **kwargs,
    )


def _changed_events():
    return list(AuditEvent.objects.filter(action=AuditAction.WAITLIST_CHANGED).order_by("pk"))


# --- The service ------------------------------------------------------------------------


def test_the_place_and_the_group_stay(site, second_site, procedure, people):
    entries = [_join(person, procedure, site) for person in people[:3]]
    queued_at = entries[0].queued_at

    changed = waitlist_entry_change(
        actor=people[0].user,
        entry=entries[0].pk,
        site_ids=[site.pk, second_site.pk],
        weekdays_excluded=[6, 7],
    )

    changed.refresh_from_db()
    assert changed.site_ids == sorted([site.pk, second_site.pk])
    assert changed.weekdays_excluded == [6, 7]
    assert (changed.queued_at, changed.priority_class) == (queued_at, PriorityClass.NONE)
    assert [position_of(entry) for entry in entries] == [1, 2, 3]
    [event] = _changed_events()
    assert (event.actor_id, event.applicant_id) == (people[0].user.pk, people[0].pk)
    assert event.details["sites_before"] == [site.pk]
    assert event.details["sites"] == sorted([site.pk, second_site.pk])
    assert (event.details["weekdays_excluded_before"], event.details["weekdays_excluded"]) == (
        [],
        [6, 7],
    )


def test_what_is_not_given_stays_and_nothing_new_writes_nothing(site, procedure, people):
    entry = _join(people[0], procedure, site, weekdays_excluded=[7])

    waitlist_entry_change(actor=people[0].user, entry=entry.pk, weekdays_excluded=[6, 7])
    waitlist_entry_change(actor=people[0].user, entry=entry.pk, site_ids=[site.pk])

    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == ([site.pk], [6, 7])
    assert len(_changed_events()) == 1


def test_a_place_the_list_does_not_give_out_is_left_out(site, second_site, procedure, people):
    AllocationPolicy.objects.create(procedure=procedure, site=second_site, mode=AllocationMode.OPEN)
    entry = _join(people[0], procedure, site)

    kept = waitlist_entry_change(
        actor=people[0].user, entry=entry.pk, site_ids=[site.pk, second_site.pk]
    )
    assert kept.site_ids == [site.pk]
    with pytest.raises(errors.NotGivenOutByList):
        waitlist_entry_change(actor=people[0].user, entry=entry.pk, site_ids=[second_site.pk])

    entry.refresh_from_db()
    assert entry.site_ids == [site.pk]


@pytest.mark.parametrize(
    "change",
    [{"site_ids": []}, {"weekdays_excluded": [1, 2, 3, 4, 5, 6, 7]}, {"weekdays_excluded": [8]}],
)
def test_a_bad_choice_is_refused_and_changes_nothing(site, procedure, people, change):
    entry = _join(people[0], procedure, site)

    with pytest.raises(errors.InvalidEntry):
        waitlist_entry_change(actor=people[0].user, entry=entry.pk, **change)

    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == ([site.pk], [])
    assert _changed_events() == []


def test_an_entry_no_longer_in_force_or_someone_elses_is_not_found(site, procedure, people):
    left = _join(people[0], procedure, site)
    waitlist_leave(actor=people[0].user, entry=left.pk)
    theirs = _join(people[1], procedure, site)

    with pytest.raises(errors.EntryNotFound):
        waitlist_entry_change(actor=people[0].user, entry=left.pk, weekdays_excluded=[7])
    with pytest.raises(errors.EntryNotFound):
        waitlist_entry_change(actor=people[0].user, entry=theirs.pk, weekdays_excluded=[7])
    assert _changed_events() == []


def test_an_agent_changes_only_to_sites_of_theirs(site, second_site, procedure, people):
    entry = _join(people[0], procedure, site)
    agent = factories.AgentFactory(sites=[site])
    elsewhere = factories.AgentFactory(sites=[second_site])

    with pytest.raises(booking_errors.NotAllowed):
        waitlist_entry_change(actor=agent, entry=entry.pk, site_ids=[site.pk, second_site.pk])
    with pytest.raises(errors.EntryNotFound):
        waitlist_entry_change(actor=elsewhere, entry=entry.pk, weekdays_excluded=[7])
    changed = waitlist_entry_change(actor=agent, entry=entry.pk, weekdays_excluded=[7])

    assert changed.weekdays_excluded == [7]
    [event] = _changed_events()
    assert event.actor_id == agent.pk


# --- Offers ---------------------------------------------------------------------------------


def _weekday(slot) -> int:
    return timezone.localtime(slot.starts_at).isoweekday()


def test_an_offer_the_new_choice_no_longer_fits_goes_to_the_next_person(
    site, second_site, procedure, people, django_capture_on_commit_callbacks
):
    first, second = _join(people[0], procedure, site), _join(people[1], procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    assert offer.entry_id == first.pk
    told = Message.objects.filter(applicant=people[0]).count()

    with django_capture_on_commit_callbacks(execute=True):
        waitlist_entry_change(
            actor=people[0].user, entry=first.pk, weekdays_excluded=[_weekday(slot)]
        )

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    [next_offer] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (next_offer.entry_id, next_offer.slot_id) == (second.pk, slot.pk)
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING
    [event] = _changed_events()
    assert event.details["offers_withdrawn"] == 1
    assert Message.objects.filter(applicant=people[0]).count() == told


def test_an_offer_that_still_fits_stays(site, second_site, procedure, people):
    first = _join(people[0], procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)

    waitlist_entry_change(actor=people[0].user, entry=first.pk, site_ids=[site.pk, second_site.pk])

    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    assert _changed_events()[0].details["offers_withdrawn"] == 0


def test_a_seat_waiting_at_a_place_now_listed_is_offered(
    site, second_site, procedure, people, django_capture_on_commit_callbacks
):
    entry = _join(people[0], procedure, site)
    slot = queue_slot(second_site, procedure, days=2)
    assert offers_allocate(procedure_id=procedure.pk) == []

    with django_capture_on_commit_callbacks(execute=True):
        waitlist_entry_change(
            actor=people[0].user, entry=entry.pk, site_ids=[site.pk, second_site.pk]
        )

    [offer] = Offer.objects.filter(status=OfferStatus.OPEN)
    assert (offer.entry_id, offer.slot_id) == (entry.pk, slot.pk)


# --- The API --------------------------------------------------------------------------------


def test_the_api_changes_an_entry_and_answers_it(site, second_site, procedure, people):
    entry = _join(people[0], procedure, site)
    api = token_client(people[0].user)

    response = api.patch(
        f"{WAITLIST}{entry.pk}/",
        {"sites": [site.slug, second_site.slug], "weekdays_excluded": [7, 6, 7]},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(body["sites"]) == sorted([site.slug, second_site.slug])
    assert body["weekdays_excluded"] == [6, 7]
    assert body["position"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"sites": ["nowhere"]}, 400, "invalid"),
        ({"sites": []}, 400, "invalid"),
        ({"weekdays_excluded": [1, 2, 3, 4, 5, 6, 7]}, 400, "invalid"),
        ({"weekdays_excluded": ["x"]}, 400, "invalid"),
    ],
)
def test_the_api_refuses_a_bad_body_and_changes_nothing(
    site, procedure, people, body, status, code
):
    entry = _join(people[0], procedure, site)
    api = token_client(people[0].user)

    response = api.patch(f"{WAITLIST}{entry.pk}/", body, format="json")

    assert (response.status_code, response.json()["code"]) == (status, code)
    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == ([site.pk], [])


def test_someone_elses_entry_answers_as_a_missing_one(site, procedure, people):
    theirs = _join(people[1], procedure, site)
    api = token_client(people[0].user)

    for pk in (theirs.pk, theirs.pk + 1000, 2**63):
        response = api.patch(f"{WAITLIST}{pk}/", {"weekdays_excluded": [7]}, format="json")
        assert (response.status_code, response.json()["code"]) == (
            404,
            "waitlist_entry_not_found",
        )
    theirs.refresh_from_db()
    assert theirs.weekdays_excluded == []


# --- The page -------------------------------------------------------------------------------


def test_the_page_shows_the_choice_and_changes_it(client, site, second_site, procedure, people):
    entry = _join(people[0], procedure, site, weekdays_excluded=[7])
    login(client, people[0].user)
    url = reverse("allocation:change", args=[entry.pk])

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="sites" value="{site.pk}" checked' in html
    assert f'name="sites" value="{second_site.pk}">' in html
    assert 'name="weekdays_excluded" value="7" checked' in html
    assert 'name="weekdays_excluded" value="6">' in html
    assert (
        reverse("allocation:change", args=[entry.pk])
        in client.get(reverse("allocation:mine")).content.decode()
    )

    done = client.post(url, {"sites": [site.pk, second_site.pk], "weekdays_excluded": ["6"]})

    assert done.status_code == 302
    assert done["Location"] == reverse("allocation:mine")
    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == (sorted([site.pk, second_site.pk]), [6])


def test_the_page_says_what_is_wrong_and_changes_nothing(client, site, procedure, people):
    entry = _join(people[0], procedure, site)
    login(client, people[0].user)

    response = client.post(
        reverse("allocation:change", args=[entry.pk]),
        {"sites": [], "weekdays_excluded": [str(day) for day in range(1, 8)]},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Choisissez au moins un lieu." in html
    assert "Laissez au moins un jour où vous pouvez venir." in html
    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == ([site.pk], [])


def test_someone_elses_entry_page_is_a_404(client, site, procedure, people):
    theirs = _join(people[1], procedure, site)
    login(client, people[0].user)
    url = reverse("allocation:change", args=[theirs.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"sites": [site.pk]}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.weekdays_excluded == []
    assert _changed_events() == []
