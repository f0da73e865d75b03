"""The waiting list and its offers through the API (``/api/v1/waitlist/``,
``/api/v1/offers/``): who may join, see, leave, resume and answer, what bad
input and the rate limit answer, and the whole flow from joining to the
appointment. Staff acting for people: ``test_waitlist_api_staff.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from allocation.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.services import offers_allocate
from audit.models import AuditAction, AuditEvent
from booking.models import AllocationMode, AllocationPolicy, Appointment, AppointmentStatus
from tests import factories
from tests.allocation.conftest import queue_slot
from tests.helpers.api_clients import token_client
from tests.helpers.joins import OFFERS, WAITLIST, entry_of, join_by_api, offer_to

pytestmark = pytest.mark.django_db

# --- Joining and reading -------------------------------------------------------------------


def test_an_applicant_joins_and_sees_their_place(applicant_api, applicant, queue_procedure, site):
    response = join_by_api(applicant_api, queue_procedure, site, weekdays_excluded=[7, 6, 6])

    assert response.status_code == 201, response.json()
    body = response.json()
    entry = WaitlistEntry.objects.get(applicant=applicant)
    assert body["id"] == entry.pk
    assert body["procedure"] == queue_procedure.slug
    assert body["sites"] == [site.slug]
    assert body["weekdays_excluded"] == [6, 7]
    assert body["status"] == "waiting"
    # The 201 does not count the list (a storm of joins would, once per join):
    # the entry's address gives the place.
    assert (body["position"], body["weeks_estimate"], body["offer"]) == (None, None, None)
    assert response["Location"] == f"{WAITLIST}{entry.pk}/"
    read = applicant_api.get(response["Location"]).json()
    assert read["position"] == 1
    # Nothing given out lately: no honest figure.
    assert read["weeks_estimate"] is None
    assert entry.channel == "api"
    assert (
        AuditEvent.objects.filter(action=AuditAction.WAITLIST_JOINED, applicant=applicant).count()
        == 1
    )

    listed = applicant_api.get(WAITLIST).json()
    assert [row["id"] for row in listed["results"]] == [entry.pk]
    assert applicant_api.get(f"{WAITLIST}{entry.pk}/").json()["position"] == 1


def test_the_place_counts_who_joined_before(applicant_api, applicant, queue_procedure, site):
    for _ in range(3):
        entry_of(factories.ApplicantFactory(), queue_procedure, site)

    response = join_by_api(applicant_api, queue_procedure, site)

    assert applicant_api.get(response["Location"]).json()["position"] == 4


def test_joining_twice_is_refused_and_writes_nothing_more(applicant_api, queue_procedure, site):
    assert join_by_api(applicant_api, queue_procedure, site).status_code == 201

    response = join_by_api(applicant_api, queue_procedure, site)

    assert response.status_code == 409
    assert response.json()["code"] == "already_waiting"
    assert WaitlistEntry.objects.count() == 1


def test_a_person_with_an_appointment_for_it_cannotjoin_by_api(
    applicant_api, applicant, queue_procedure, site
):
    open_site = factories.SiteFactory()
    AllocationPolicy.objects.create(
        procedure=queue_procedure, site=open_site, mode=AllocationMode.OPEN
    )
    slot = factories.SlotFactory(site=open_site, procedure=queue_procedure)
    assert (
        applicant_api.post("/api/v1/appointments/", {"slot": slot.pk}, format="json").status_code
        == 201
    )

    response = join_by_api(applicant_api, queue_procedure, site)

    assert (response.status_code, response.json()["code"]) == (409, "already_booked")


def test_a_procedure_given_out_in_the_calendar_has_no_list(applicant_api, procedure, site):
    response = join_by_api(applicant_api, procedure, site)

    assert (response.status_code, response.json()["code"]) == (409, "not_given_out_by_list")
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "procedure"),
        ({"procedure": "no-such-procedure", "sites": ["SITE"]}, "procedure"),
        ({"procedure": "PROC", "sites": ["no-such-site"]}, "sites"),
        ({"procedure": "PROC", "sites": []}, "sites"),
        ({"procedure": "PROC", "sites": "SITE"}, "sites"),
        ({"procedure": "PROC", "sites": ["SITE"], "weekdays_excluded": [0]}, "weekdays_excluded"),
        ({"procedure": "PROC", "sites": ["SITE"], "weekdays_excluded": [8]}, "weekdays_excluded"),
        (
            {"procedure": "PROC", "sites": ["SITE"], "weekdays_excluded": [1, 2, 3, 4, 5, 6, 7]},
            "weekdays_excluded",
        ),
        ({"procedure": "PROC", "sites": ["SITE"], "applicant": "me"}, "applicant"),
        ({"procedure": "PROC", "sites": ["SITE"], "applicant": 2**70}, "applicant"),
        (
            {"procedure": "PROC", "sites": ["SITE"], "permit_expires_on": "soon"},
            "permit_expires_on",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    applicant_api, queue_procedure, site, body, field
):
    body = {
        key: (
            queue_procedure.slug if value == "PROC" else [site.slug] if value == ["SITE"] else value
        )
        for key, value in body.items()
    }
    audited = AuditEvent.objects.count()

    response = applicant_api.post(WAITLIST, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not WaitlistEntry.objects.exists()
    assert AuditEvent.objects.count() == audited


def test_malformed_json_is_a_parse_error(applicant_api):
    response = applicant_api.post(WAITLIST, "{", content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_anonymous_is_not_authenticated_anywhere(anonymous_api, queue_procedure, site):
    entry = entry_of(factories.ApplicantFactory(), queue_procedure, site)
    calls = [
        ("get", WAITLIST),
        ("post", WAITLIST),
        ("get", f"{WAITLIST}{entry.pk}/"),
        ("delete", f"{WAITLIST}{entry.pk}/"),
        ("post", f"{WAITLIST}{entry.pk}/resume/"),
        ("get", OFFERS),
        ("get", f"{OFFERS}1/"),
        ("post", f"{OFFERS}1/accept/"),
        ("post", f"{OFFERS}1/decline/"),
    ]
    for method, path in calls:
        response = getattr(anonymous_api, method)(path, format="json")
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated"), path
    assert WaitlistEntry.objects.get().status == EntryStatus.WAITING


# --- Someone else's: exactly like nothing ---------------------------------------------------


def test_another_applicants_entry_and_offer_answer_like_missing_ones(
    other_applicant_api, applicant, queue_procedure, site
):
    offer = offer_to(applicant, queue_procedure, site)
    entry = offer.entry
    missing = entry.pk + offer.pk + 1000

    for path, method in (
        (f"{WAITLIST}{{}}/", "get"),
        (f"{WAITLIST}{{}}/", "delete"),
        (f"{WAITLIST}{{}}/resume/", "post"),
    ):
        theirs = getattr(other_applicant_api, method)(path.format(entry.pk))
        nobodys = getattr(other_applicant_api, method)(path.format(missing))
        assert theirs.status_code == nobodys.status_code == 404
        assert theirs.json() == nobodys.json()
        assert theirs.json()["code"] == "waitlist_entry_not_found"
    for path, method in (
        (f"{OFFERS}{{}}/", "get"),
        (f"{OFFERS}{{}}/accept/", "post"),
        (f"{OFFERS}{{}}/decline/", "post"),
    ):
        theirs = getattr(other_applicant_api, method)(path.format(offer.pk))
        nobodys = getattr(other_applicant_api, method)(path.format(missing))
        assert theirs.status_code == nobodys.status_code == 404
        assert theirs.json() == nobodys.json()
        assert theirs.json()["code"] == "offer_not_found"
    assert other_applicant_api.get(WAITLIST).json()["results"] == []
    assert other_applicant_api.get(OFFERS).json()["results"] == []
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert (offer.status, entry.status) == (OfferStatus.OPEN, EntryStatus.WAITING)


def test_an_applicant_naming_someone_else_is_told_no_such_person(
    applicant_api, other_applicant, queue_procedure, site
):
    joined = join_by_api(applicant_api, queue_procedure, site, applicant=other_applicant.pk)
    listed = applicant_api.get(WAITLIST, {"applicant": other_applicant.pk})

    for response in (joined, listed):
        assert (response.status_code, response.json()["code"]) == (404, "applicant_not_found")
    assert not WaitlistEntry.objects.exists()


def test_an_id_past_bigint_is_a_missing_one(applicant_api):
    for path in (f"{WAITLIST}{2**64}/", f"{OFFERS}{2**64}/"):
        assert applicant_api.get(path).status_code == 404


# --- Leaving and resuming --------------------------------------------------------------------


def test_leaving_withdraws_the_offer_and_frees_the_seat(
    applicant_api, applicant, queue_procedure, site
):
    offer = offer_to(applicant, queue_procedure, site)

    response = applicant_api.delete(f"{WAITLIST}{offer.entry_id}/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["position"]) == ("left", None)
    offer.refresh_from_db()
    offer.slot.refresh_from_db()
    assert (offer.status, offer.slot.held) == (OfferStatus.WITHDRAWN, 0)
    assert applicant_api.get(WAITLIST).json()["results"] == []
    # Leaving again changes nothing.
    assert applicant_api.delete(f"{WAITLIST}{offer.entry_id}/").json()["status"] == "left"


def test_a_paused_entry_resumes_once(applicant_api, applicant, queue_procedure, site):
    entry = entry_of(applicant, queue_procedure, site)
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.PAUSED, expiries=2)
    assert applicant_api.get(f"{WAITLIST}{entry.pk}/").json()["position"] is None

    resumed = applicant_api.post(f"{WAITLIST}{entry.pk}/resume/")
    again = applicant_api.post(f"{WAITLIST}{entry.pk}/resume/")

    assert (resumed.status_code, resumed.json()["status"]) == (200, "waiting")
    assert resumed.json()["position"] == 1
    assert (again.status_code, again.json()["code"]) == (409, "waitlist_entry_not_paused")


# --- Offers: the flow ----------------------------------------------------------------------


def test_join_offer_accept_gives_the_appointment(applicant_api, applicant, queue_procedure, site):
    entry_id = join_by_api(applicant_api, queue_procedure, site).json()["id"]
    slot = queue_slot(site, queue_procedure)
    offers_allocate(procedure_id=queue_procedure.pk)

    [offer] = applicant_api.get(OFFERS).json()["results"]
    assert (offer["status"], offer["entry"], offer["slot"]["id"]) == ("open", entry_id, slot.pk)
    assert offer["slot"]["site"] == site.slug
    entry = applicant_api.get(WAITLIST).json()["results"][0]
    assert entry["offer"]["id"] == offer["id"]

    response = applicant_api.post(f"{OFFERS}{offer['id']}/accept/")

    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get(applicant=applicant, procedure=queue_procedure)
    assert response.json()["reference"] == appointment.reference
    assert response.json()["slot"]["id"] == slot.pk
    assert appointment.status == AppointmentStatus.BOOKED
    seen = applicant_api.get(f"/api/v1/appointments/{appointment.reference}/")
    assert seen.status_code == 200
    slot.refresh_from_db()
    assert (slot.booked, slot.held) == (1, 0)
    assert applicant_api.get(WAITLIST).json()["results"] == []
    assert applicant_api.get(f"{OFFERS}{offer['id']}/").json()["appointment"] == (
        appointment.reference
    )
    again = applicant_api.post(f"{OFFERS}{offer['id']}/accept/")
    assert (again.status_code, again.json()["code"]) == (409, "offer_not_open")


def test_declining_passes_the_seat_to_the_next_person(
    applicant_api, other_applicant_api, applicant, other_applicant, queue_procedure, site
):
    offer = offer_to(applicant, queue_procedure, site)
    entry_of(other_applicant, queue_procedure, site)

    response = applicant_api.post(f"{OFFERS}{offer.pk}/decline/")
    offers_allocate(procedure_id=queue_procedure.pk)

    assert (response.status_code, response.json()["status"]) == (200, "declined")
    [theirs] = other_applicant_api.get(OFFERS, {"status": "open"}).json()["results"]
    assert theirs["slot"]["id"] == offer.slot_id
    # The decliner keeps their place (the first decline) and sees their old offer.
    mine = applicant_api.get(WAITLIST).json()["results"][0]
    assert (mine["position"], mine["offer"]) == (1, None)
    assert [o["status"] for o in applicant_api.get(OFFERS).json()["results"]] == ["declined"]
    assert applicant_api.get(OFFERS, {"status": "open"}).json()["results"] == []


def test_an_expired_offer_cannot_be_accepted(applicant_api, applicant, queue_procedure, site):
    offer = offer_to(applicant, queue_procedure, site)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = applicant_api.post(f"{OFFERS}{offer.pk}/accept/")

    assert (response.status_code, response.json()["code"]) == (409, "offer_expired")
    assert not Appointment.objects.filter(procedure=queue_procedure).exists()


@pytest.mark.parametrize("query", [{"status": "nope"}, {"status": ""}, {"applicant": "x"}])
def test_a_malformed_offers_filter_is_a_400(applicant_api, query):
    response = applicant_api.get(OFFERS, query)

    assert (response.status_code, response.json()["code"]) == (400, "invalid")


# --- The rate limit ---------------------------------------------------------------------------


def test_joining_is_rate_limited_per_account(applicant_api, queue_procedure, site, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "waitlist_join": {"account": (2, 3600), "ip": (100, 3600)},
    }
    other = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=other, mode=AllocationMode.QUEUE)

    assert join_by_api(applicant_api, queue_procedure, site).status_code == 201
    assert join_by_api(applicant_api, queue_procedure, site).status_code == 409  # counted too
    response = join_by_api(applicant_api, other, site)

    assert (response.status_code, response.json()["code"]) == (429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert WaitlistEntry.objects.count() == 1
    # Reading is not counted.
    assert applicant_api.get(WAITLIST).status_code == 200
    cache.clear()


def test_joining_is_rate_limited_per_client_address(queue_procedure, site, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "waitlist_join": {"account": (100, 3600), "ip": (2, 3600)},
    }
    clients = [token_client(factories.ApplicantFactory().user) for _ in range(3)]

    statuses = [join_by_api(client, queue_procedure, site).status_code for client in clients]

    assert statuses == [201, 201, 429]
    assert WaitlistEntry.objects.count() == 2
    cache.clear()


# --- Query bounds --------------------------------------------------------------------------------


@override_settings(API_PAGE_SIZE=20)
def test_waitlist_api_queries_are_bounded(
    applicant, queue_procedure, site, agent, supervisor, django_assert_max_num_queries
):
    """Each endpoint's queries do not grow with the people waiting, the offers
    made or the entries of the person (several procedures)."""
    for _ in range(6):
        entry_of(factories.ApplicantFactory(), queue_procedure, site)
    procedures = [queue_procedure]
    for _ in range(2):
        procedure = factories.ProcedureFactory()
        AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
        procedures.append(procedure)
    entries = [entry_of(applicant, procedure, site) for procedure in procedures]
    for procedure in procedures:
        queue_slot(site, procedure, capacity=8)
        offers_allocate(procedure_id=procedure.pk)
    offers = list(Offer.objects.filter(applicant=applicant).order_by("pk"))
    assert len(offers) == 3
    api = token_client(applicant.user)
    staff = token_client(agent)
    newcomer = token_client(factories.ApplicantFactory().user)
    fourth = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=fourth, mode=AllocationMode.QUEUE)

    # The token; the page of entries; per entry in force its open offer, its place
    # and the pace (three queries: an entry per procedure, a person has a few); the
    # sites' slugs. Staff: the person named and the sites they work at, too.
    with django_assert_max_num_queries(12):
        assert api.get(WAITLIST).status_code == 200
    with django_assert_max_num_queries(14):
        assert staff.get(WAITLIST, {"applicant": applicant.pk}).status_code == 200
    with django_assert_max_num_queries(6):
        assert api.get(f"{WAITLIST}{entries[0].pk}/").status_code == 200
    # The token with the procedure, the sites and their modes; one statement that
    # reads the person's standing (an appointment, a block, the priority class)
    # and writes the entry and its audit row; whether a seat waits (once a second
    # per process). Not one per person waiting
    # (``tests/allocation/test_join_hotpath.py`` counts them exactly).
    with django_assert_max_num_queries(3):
        assert join_by_api(newcomer, fourth, site).status_code == 201
    # The token; the page of offers with their slot, site, procedure and appointment.
    with django_assert_max_num_queries(2):
        assert api.get(OFFERS).status_code == 200
    with django_assert_max_num_queries(2):
        assert staff.get(OFFERS).status_code == 200
    with django_assert_max_num_queries(2):
        assert api.get(f"{OFFERS}{offers[0].pk}/").status_code == 200
    with django_assert_max_num_queries(17):
        assert api.post(f"{OFFERS}{offers[0].pk}/accept/").status_code == 201
    with django_assert_max_num_queries(12):
        assert api.post(f"{OFFERS}{offers[1].pk}/decline/").status_code == 200
    with django_assert_max_num_queries(14):
        assert api.delete(f"{WAITLIST}{entries[2].pk}/").status_code == 200
    WaitlistEntry.objects.filter(pk=entries[1].pk).update(status=EntryStatus.PAUSED)
    with django_assert_max_num_queries(10):
        assert api.post(f"{WAITLIST}{entries[1].pk}/resume/").status_code == 200
