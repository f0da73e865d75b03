"""A mediator acts on someone's waiting-list entry only with the person's consent
for the waiting list, given to the mediator's point (``mediation.receivers``):
through the services and through the console's pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext, override

from allocation.models import EntryStatus, OfferStatus, WaitlistEntry
from allocation.services import offer_decline, offers_allocate, waitlist_join, waitlist_leave
from audit.models import AuditAction, AuditEvent
from booking.models import AllocationMode, AllocationPolicy, AppointmentStatus
from mediation.errors import ConsentRequired
from mediation.services import consent_withdraw
from tests import factories
from tests.allocation.conftest import queue_slot
from tests.auth import login

pytestmark = pytest.mark.django_db

LIST_ONLY = ["waiting_list"]
EVERYTHING = ["booking", "waiting_list"]


@pytest.fixture
def listed(procedure):
    """``procedure`` is given out by its waiting list at every site."""
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


@pytest.fixture
def point():
    return factories.AccessPointFactory()


@pytest.fixture
def mediator(point):
    return factories.MediatorFactory(access_point=point)


@pytest.fixture
def walk_in(point):
    return factories.ApplicantFactory(user=None, access_point=point)


def _consent(walk_in, mediator, purposes):
    return factories.ConsentFactory(applicant=walk_in, mediator=mediator, purposes=purposes)


def _join(mediator, walk_in, procedure, site):
    return waitlist_join(actor=mediator, applicant=walk_in, procedure=procedure, site_ids=[site.pk])


def test_joining_for_someone_needs_their_consent_for_the_waiting_list(
    site, listed, mediator, walk_in
):
    # A consent to book does not cover the waiting list.
    _consent(walk_in, mediator, ["booking"])

    with pytest.raises(ConsentRequired):
        _join(mediator, walk_in, listed, site)

    assert not WaitlistEntry.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.WAITLIST_JOINED).exists()


def test_with_the_consent_the_entry_records_the_point_and_the_audit_the_consent(
    site, listed, mediator, walk_in, point
):
    consent = _consent(walk_in, mediator, LIST_ONLY)

    entry = _join(mediator, walk_in, listed, site)

    assert entry.access_point_id == point.pk
    assert entry.created_by_id == mediator.pk
    row = AuditEvent.objects.get(action=AuditAction.WAITLIST_JOINED)
    assert row.actor_id == mediator.pk
    assert row.details["consent"] == consent.pk
    assert row.details["access_point"] == point.pk


def test_a_withdrawn_consent_stops_the_next_action(site, listed, mediator, walk_in):
    consent = _consent(walk_in, mediator, LIST_ONLY)
    entry = _join(mediator, walk_in, listed, site)

    consent_withdraw(actor=mediator, consent=consent)

    with pytest.raises(ConsentRequired):
        waitlist_leave(actor=mediator, entry=entry.pk)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING


def test_declining_an_offer_for_someone_needs_the_consent_too(site, listed, mediator, walk_in):
    consent = _consent(walk_in, mediator, LIST_ONLY)
    _join(mediator, walk_in, listed, site)
    queue_slot(site, listed)
    [offer] = offers_allocate(procedure_id=listed.pk)
    consent_withdraw(actor=mediator, consent=consent)

    with pytest.raises(ConsentRequired):
        offer_decline(actor=mediator, offer=offer.pk)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


# --- Through the console --------------------------------------------------------------------


def _consent_required_said(page: str) -> bool:
    """The page says the consent is missing (in the page's language, French)."""
    with override("fr"):
        return escape(str(ConsentRequired.default_message)) in page


def _web(user) -> Client:
    return login(Client(), user)


def _url(name, *args):
    return reverse(f"mediation:{name}", args=args)


def test_the_console_joins_a_walk_in_with_consent_and_shows_their_place(
    site, listed, mediator, walk_in
):
    _consent(walk_in, mediator, LIST_ONLY)
    web = _web(mediator)

    response = web.post(
        _url("waitlist_join", walk_in.pk),
        {"procedure": listed.pk, "sites": [site.pk], "weekdays_excluded": ["6", "7"]},
    )

    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(applicant=walk_in)
    assert entry.weekdays_excluded == [6, 7]
    assert entry.channel == "mediation"
    page = web.get(_url("person", walk_in.pk)).content.decode()
    with override("fr"):
        assert gettext("Place %(place)s") % {"place": 1} in page
    assert site.name in page


def test_the_console_without_consent_says_so_and_writes_nothing(site, listed, mediator, walk_in):
    web = _web(mediator)

    person_page = web.get(_url("person", walk_in.pk)).content.decode()
    response = web.post(
        _url("waitlist_join", walk_in.pk), {"procedure": listed.pk, "sites": [site.pk]}
    )

    with override("fr"):
        asked = gettext(
            "To put the person on a waiting list or act on their entries, record their "
            "consent for the waiting list first."
        )
    assert asked in person_page
    assert response.status_code == 200
    assert _consent_required_said(response.content.decode())
    assert not WaitlistEntry.objects.exists()


def test_another_points_mediator_gets_404_on_the_person_and_their_entry(
    site, listed, mediator, walk_in
):
    _consent(walk_in, mediator, LIST_ONLY)
    entry = _join(mediator, walk_in, listed, site)
    stranger = _web(factories.MediatorFactory(access_point=factories.AccessPointFactory()))

    assert stranger.get(_url("waitlist_join", walk_in.pk)).status_code == 404
    assert stranger.post(_url("waitlist_leave", walk_in.pk, entry.pk)).status_code == 404
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING


def test_accepting_for_someone_books_with_the_booking_consent_and_the_point(
    site, listed, mediator, walk_in, point
):
    _consent(walk_in, mediator, EVERYTHING)
    _join(mediator, walk_in, listed, site)
    queue_slot(site, listed)
    [offer] = offers_allocate(procedure_id=listed.pk)
    web = _web(mediator)

    response = web.post(_url("waitlist_offer_accept", walk_in.pk, offer.pk))

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    assert offer.appointment.status == AppointmentStatus.BOOKED
    assert offer.appointment.access_point_id == point.pk


def test_accepting_without_the_booking_consent_is_refused(site, listed, mediator, walk_in):
    _consent(walk_in, mediator, LIST_ONLY)
    _join(mediator, walk_in, listed, site)
    queue_slot(site, listed)
    [offer] = offers_allocate(procedure_id=listed.pk)
    web = _web(mediator)

    response = web.post(_url("waitlist_offer_accept", walk_in.pk, offer.pk), follow=True)

    assert _consent_required_said(response.content.decode())
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_the_console_changes_a_walk_ins_places_and_days_only_with_their_consent(
    site, listed, mediator, walk_in, point
):
    other = factories.SiteFactory()
    consent = _consent(walk_in, mediator, LIST_ONLY)
    entry = _join(mediator, walk_in, listed, site)
    web = _web(mediator)
    choice = {"sites": [site.pk, other.pk], "weekdays_excluded": ["3"]}
    consent_withdraw(actor=mediator, consent=consent)

    refused = web.post(_url("waitlist_change", walk_in.pk, entry.pk), choice)

    assert refused.status_code == 200
    assert _consent_required_said(refused.content.decode())
    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == ([site.pk], [])

    consent = _consent(walk_in, mediator, LIST_ONLY)
    response = web.post(_url("waitlist_change", walk_in.pk, entry.pk), choice)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.site_ids, entry.weekdays_excluded) == (sorted([site.pk, other.pk]), [3])
    row = AuditEvent.objects.get(action=AuditAction.WAITLIST_CHANGED)
    assert row.actor_id == mediator.pk
    assert (row.details["consent"], row.details["access_point"]) == (consent.pk, point.pk)
    # Another point's mediator: 404, like a missing entry.
    stranger = _web(factories.MediatorFactory(access_point=factories.AccessPointFactory()))
    assert stranger.get(_url("waitlist_change", walk_in.pk, entry.pk)).status_code == 404
