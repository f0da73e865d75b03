"""The applicant's waiting-list pages and the offer's link page, through the
test client: join, see one's place, an offer made, accept, decline, leave,
resume; what another person gets (404); bad input; the rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from allocation.links import offer_token
from allocation.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.services import offers_allocate, offers_expire_due, waitlist_join
from audit.models import AuditEvent
from booking.models import AllocationMode, AllocationPolicy, Appointment, AppointmentStatus
from tests import factories
from tests.allocation.conftest import person, queue_slot
from tests.helpers.booking_pages import messages_of
from tests.helpers.pages import web, without_tokens  # noqa: F401 - pages in English

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the rate limits' counters


@pytest.fixture
def applicant(db):
    return person()


@pytest.fixture
def logged_in(web, applicant):  # noqa: F811 - the imported fixture, by name
    web.force_login(applicant.user)
    return web


def _join_url(procedure):
    return reverse("allocation:join", args=[procedure.slug])


def _page(response) -> str:
    return response.content.decode()


def _entry(applicant):
    return WaitlistEntry.objects.get(applicant=applicant)


def _join(applicant, procedure, site):
    return waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk]
    )


# --- The booking path leads to the list ------------------------------------------------


def test_the_sites_step_of_a_list_procedure_leads_to_the_join_form(logged_in, site, procedure):
    page = logged_in.get(reverse("booking:sites", args=[procedure.slug]))

    assert page.status_code == 200
    assert _join_url(procedure) in _page(page)
    assert site.name in _page(page)
    assert reverse("booking:days", args=[procedure.slug, site.slug]) not in _page(page)


def test_open_sites_keep_their_calendar_beside_the_list(logged_in, site, procedure):
    open_site = factories.SiteFactory()
    AllocationPolicy.objects.create(procedure=procedure, site=open_site, mode=AllocationMode.OPEN)
    factories.SlotFactory(site=open_site, procedure=procedure)

    page = _page(logged_in.get(reverse("booking:sites", args=[procedure.slug])))

    assert _join_url(procedure) in page
    assert reverse("booking:days", args=[procedure.slug, open_site.slug]) in page


def test_someone_on_the_list_is_told_so_on_the_sites_step(logged_in, applicant, site, procedure):
    _join(applicant, procedure, site)

    page = _page(logged_in.get(reverse("booking:sites", args=[procedure.slug])))

    assert "already on the waiting list" in page
    assert reverse("allocation:mine") in page
    assert _join_url(procedure) not in page


def test_someone_with_an_appointment_is_sent_to_it(logged_in, applicant, site, procedure):
    _join(applicant, procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    logged_in.post(reverse("allocation:offer", args=[offer.pk]), {"answer": "accept"})
    appointment = Appointment.objects.get(applicant=applicant)
    detail = reverse("booking:appointment_detail", args=[appointment.reference])

    sites_step = logged_in.get(reverse("booking:sites", args=[procedure.slug]))
    join_page = logged_in.get(_join_url(procedure))

    assert sites_step.status_code == join_page.status_code == 302
    assert sites_step.url == join_page.url == detail


# --- The whole flow --------------------------------------------------------------------


def test_join_see_the_place_accept_and_see_the_appointment(logged_in, applicant, site, procedure):
    ahead = person()
    _join(ahead, procedure, site)
    form = logged_in.get(_join_url(procedure))
    assert "The list is in this order" in _page(form)
    assert "text message and e-mail" in _page(form)

    joined = logged_in.post(_join_url(procedure), {"sites": [site.pk], "weekdays_excluded": ["7"]})

    assert joined.status_code == 302 and joined.url == reverse("allocation:mine")
    entry = _entry(applicant)
    assert entry.site_ids == [site.pk] and entry.weekdays_excluded == [7]
    mine = _page(logged_in.get(joined.url))
    assert "Your place: <strong>2</strong>" in mine
    assert "No estimate yet" in mine
    assert "Sunday" in mine

    slot = queue_slot(site, procedure, capacity=2)
    offers = offers_allocate(procedure_id=procedure.pk)
    offer = next(o for o in offers if o.entry_id == entry.pk)
    mine = _page(logged_in.get(reverse("allocation:mine")))
    assert reverse("allocation:offer", args=[offer.pk]) in mine
    assert "Held for you until" in mine

    accepted = logged_in.post(reverse("allocation:offer", args=[offer.pk]), {"answer": "accept"})

    appointment = Appointment.objects.get(applicant=applicant)
    assert accepted.url == reverse("booking:appointment_detail", args=[appointment.reference])
    assert appointment.slot_id == slot.pk and appointment.status == AppointmentStatus.BOOKED
    assert appointment.booked_by_id == applicant.user.pk
    assert appointment.reference in _page(logged_in.get(accepted.url))
    assert _entry(applicant).status == EntryStatus.SERVED
    mine = _page(logged_in.get(reverse("allocation:mine")))
    assert "You are not on any waiting list" in mine
    assert "Past offers" in mine


def test_decline_keeps_the_place_once(logged_in, applicant, site, procedure):
    _join(applicant, procedure, site)
    slot = queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    url = reverse("allocation:offer", args=[offer.pk])

    confirm = _page(logged_in.get(url + "?decline=1"))
    declined = logged_in.post(url, {"answer": "decline"})

    assert "You keep your place in the list this time" in confirm
    assert declined.url == reverse("allocation:mine")
    offer.refresh_from_db()
    slot.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED and slot.held == 0
    assert _entry(applicant).status == EntryStatus.WAITING


def test_the_offer_page_shows_the_offer_and_changes_nothing(logged_in, applicant, site, procedure):
    _join(applicant, procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)

    page = _page(logged_in.get(reverse("allocation:offer", args=[offer.pk])))

    assert site.address in page and procedure.name in page
    assert "held for you until" in page
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_leave_asks_then_leaves(logged_in, applicant, site, procedure):
    entry = _join(applicant, procedure, site)
    url = reverse("allocation:leave", args=[entry.pk])

    confirm = logged_in.get(url)
    assert confirm.status_code == 200 and "Leave the waiting list?" in _page(confirm)
    assert _entry(applicant).status == EntryStatus.WAITING

    left = logged_in.post(url)

    assert left.url == reverse("allocation:mine")
    assert _entry(applicant).status == EntryStatus.LEFT
    assert logged_in.get(url).status_code == 404


def _paused(applicant, procedure, site):
    """The entry after two offers let expire."""
    entry = _join(applicant, procedure, site)
    for _ in range(2):
        queue_slot(site, procedure, days=3 + _)
        [offer] = offers_allocate(procedure_id=procedure.pk)
        Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        offers_expire_due()
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PAUSED
    return entry


def test_a_paused_entry_is_resumed_from_my_list(logged_in, applicant, site, procedure):
    entry = _paused(applicant, procedure, site)

    mine = _page(logged_in.get(reverse("allocation:mine")))
    resumed = logged_in.post(reverse("allocation:resume", args=[entry.pk]))

    assert reverse("allocation:resume", args=[entry.pk]) in mine
    assert resumed.url == reverse("allocation:mine")
    assert _entry(applicant).status == EntryStatus.WAITING


def test_resume_of_a_waiting_entry_is_refused_plainly(logged_in, applicant, site, procedure):
    entry = _join(applicant, procedure, site)

    refused = logged_in.post(reverse("allocation:resume", args=[entry.pk]))

    assert refused.status_code == 302
    assert messages_of(refused) == ["This entry is not paused."]


def test_my_list_when_empty(logged_in):
    page = logged_in.get(reverse("allocation:mine"))

    assert page.status_code == 200
    assert "You are not on any waiting list" in _page(page)


# --- Another person ---------------------------------------------------------------------


def test_another_applicant_gets_404_on_entries_and_offers(web, applicant, site, procedure):  # noqa: F811
    entry = _join(applicant, procedure, site)
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    web.force_login(person().user)

    answers = [
        web.get(reverse("allocation:leave", args=[entry.pk])),
        web.post(reverse("allocation:leave", args=[entry.pk])),
        web.post(reverse("allocation:resume", args=[entry.pk])),
        web.get(reverse("allocation:offer", args=[offer.pk])),
        web.post(reverse("allocation:offer", args=[offer.pk]), {"answer": "accept"}),
        web.post(reverse("allocation:offer", args=[offer.pk]), {"answer": "decline"}),
    ]
    missing = [
        web.get(reverse("allocation:leave", args=[entry.pk + 1000])),
        web.get(reverse("allocation:offer", args=[offer.pk + 1000])),
    ]

    assert [a.status_code for a in answers + missing] == [404] * 8
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    assert _entry(applicant).status == EntryStatus.WAITING
    assert not Appointment.objects.exists()


# --- Bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose at least one place."),
        ({"sites": ["999999"]}, "Select a valid choice."),
        ({"sites": ["x"]}, "Select a valid choice."),
        (
            {"sites": ["SITE"], "weekdays_excluded": [str(d) for d in range(1, 8)]},
            "Leave at least one day you can come.",
        ),
        ({"sites": ["SITE"], "weekdays_excluded": ["8"]}, "Select a valid choice."),
    ],
)
def test_bad_input_says_why_and_changes_nothing(logged_in, site, procedure, data, error):
    data = {
        key: [site.pk if value == "SITE" else value for value in values]
        for key, values in data.items()
    }

    page = logged_in.post(_join_url(procedure), data)

    assert page.status_code == 200
    assert error in _page(page)
    assert 'id="error-summary"' in _page(page)
    assert not WaitlistEntry.objects.exists()


def test_a_site_not_given_out_by_the_list_is_refused(logged_in, site, procedure):
    open_site = factories.SiteFactory()
    AllocationPolicy.objects.create(procedure=procedure, site=open_site, mode=AllocationMode.OPEN)

    page = logged_in.post(_join_url(procedure), {"sites": [open_site.pk]})

    assert page.status_code == 200
    assert not WaitlistEntry.objects.exists()


def test_errors_come_in_the_persons_language(client, applicant, site, procedure):
    client.force_login(applicant.user)

    page = client.post(_join_url(procedure), {}, HTTP_ACCEPT_LANGUAGE="fr")

    assert page.status_code == 200
    assert 'lang="fr"' in _page(page)


def test_joining_twice_sends_to_my_list(logged_in, applicant, site, procedure):
    _join(applicant, procedure, site)

    again = logged_in.post(_join_url(procedure), {"sites": [site.pk]})

    assert again.url == reverse("allocation:mine")
    assert WaitlistEntry.objects.count() == 1


def test_a_procedure_not_given_out_by_a_list_goes_to_its_calendar(logged_in):
    procedure = factories.ProcedureFactory()

    page = logged_in.get(_join_url(procedure))

    assert page.url == reverse("booking:sites", args=[procedure.slug])


def test_an_unverified_account_is_sent_to_verify(web, site, procedure):  # noqa: F811
    user = factories.UserFactory(email_verified_at=None, phone_verified_at=None)
    factories.ApplicantFactory(user=user)
    web.force_login(user)

    page = web.post(_join_url(procedure), {"sites": [site.pk]})

    assert page.url == reverse("accounts:verify")
    assert not WaitlistEntry.objects.exists()


# --- Rate limits ------------------------------------------------------------------------


@override_settings(RATELIMITS={"waitlist_join": {"account": (2, 3600), "ip": (100, 3600)}})
def test_joining_is_rate_limited_per_account(logged_in, site, procedure):
    answers = [logged_in.post(_join_url(procedure), {}).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


@override_settings(RATELIMITS={"waitlist_join": {"account": (100, 3600), "ip": (2, 3600)}})
def test_joining_is_rate_limited_per_address(web, site, procedure):  # noqa: F811
    answers = []
    for _ in range(3):
        web.force_login(person().user)
        answers.append(web.post(_join_url(procedure), {}).status_code)

    assert answers == [200, 200, 429]


# --- The offer's link -------------------------------------------------------------------


@pytest.fixture
def walk_in(db):
    return factories.ApplicantFactory(user=None)


@pytest.fixture
def link_offer(walk_in, site, procedure, supervisor):
    waitlist_join(actor=supervisor, applicant=walk_in, procedure=procedure, site_ids=[site.pk])
    queue_slot(site, procedure)
    [offer] = offers_allocate(procedure_id=procedure.pk)
    return offer


def _link(offer):
    return reverse("allocation:offer_link", args=[offer_token(offer)])


def test_the_link_shows_the_offer_without_login_and_get_changes_nothing(web, link_offer):  # noqa: F811
    page = web.get(_link(link_offer))

    assert page.status_code == 200
    text = _page(page)
    assert link_offer.slot.site.address in text and link_offer.procedure.name in text
    assert "held for you until" in text
    link_offer.refresh_from_db()
    assert link_offer.status == OfferStatus.OPEN


def test_accept_by_link_books_for_the_walk_in(web, link_offer, walk_in):  # noqa: F811
    accepted = web.post(_link(link_offer), {"answer": "accept"})

    assert accepted.url == _link(link_offer)
    appointment = Appointment.objects.get(applicant=walk_in)
    assert appointment.booked_by is None and appointment.booked_by_role == "applicant"
    audit = AuditEvent.objects.get(action="offer.accepted")
    assert audit.actor_id is None and audit.details["by"] == "link"
    page = _page(web.get(accepted.url))
    assert appointment.reference in page
    assert "You accepted this offer" in page


def test_decline_by_link_asks_then_declines(web, link_offer):  # noqa: F811
    confirm = _page(web.get(_link(link_offer) + "?decline=1"))
    link_offer.refresh_from_db()
    assert link_offer.status == OfferStatus.OPEN and "Decline this time?" in confirm

    web.post(_link(link_offer), {"answer": "decline"})

    link_offer.refresh_from_db()
    assert link_offer.status == OfferStatus.DECLINED
    assert "You declined this offer" in _page(web.get(_link(link_offer)))


def test_a_tampered_or_unknown_token_answers_the_same_404(web, link_offer):  # noqa: F811
    token = offer_token(link_offer)
    head, signature = token.split("-")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    tokens = [f"{head}-{flipped}", f"{int(head) + 1}-{signature}", "nonsense", f"{head}-"]

    pages = [web.get(reverse("allocation:offer_link", args=[t])) for t in tokens]
    posts = [
        web.post(reverse("allocation:offer_link", args=[t]), {"answer": "accept"}) for t in tokens
    ]

    assert {p.status_code for p in pages + posts} == {404}
    assert len({without_tokens(p).replace(t, "") for p, t in zip(pages, tokens, strict=True)}) == 1
    assert not Appointment.objects.exists()


def test_an_expired_offer_says_so_and_cannot_be_accepted(web, link_offer):  # noqa: F811
    Offer.objects.filter(pk=link_offer.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    page = _page(web.get(_link(link_offer)))
    refused = web.post(_link(link_offer), {"answer": "accept"})

    assert "This offer expired" in page
    assert 'value="accept"' not in page
    assert messages_of(refused) == ["This offer has expired: the seat went to the next person."]
    assert not Appointment.objects.exists()


def test_an_answered_offer_cannot_be_answered_again(web, link_offer):  # noqa: F811
    web.post(_link(link_offer), {"answer": "decline"})

    again = web.post(_link(link_offer), {"answer": "accept"})

    assert messages_of(again)[-1] == "This offer has already been answered or withdrawn."
    assert not Appointment.objects.exists()


def test_a_paused_entry_is_resumed_from_its_last_offers_link(
    web,  # noqa: F811
    walk_in,
    site,
    procedure,
    supervisor,
):
    waitlist_join(actor=supervisor, applicant=walk_in, procedure=procedure, site_ids=[site.pk])
    offers = []
    for days in (3, 4):
        queue_slot(site, procedure, days=days)
        offers += offers_allocate(procedure_id=procedure.pk)
        Offer.objects.filter(pk=offers[-1].pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        offers_expire_due()
    entry = WaitlistEntry.objects.get(applicant=walk_in)
    assert entry.status == EntryStatus.PAUSED
    first, last = (Offer.objects.get(pk=o.pk) for o in offers)

    older = web.post(_link(first), {"answer": "resume"})
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PAUSED
    assert "I still need an appointment" not in _page(web.get(_link(first)))
    assert "I still need an appointment" in _page(web.get(_link(last)))

    web.post(_link(last), {"answer": "resume"})

    entry.refresh_from_db()
    assert older.status_code == 302
    assert entry.status == EntryStatus.WAITING


@override_settings(RATELIMITS={"offer_link": {"ip": (2, 3600)}})
def test_the_link_page_is_rate_limited_per_address(web, link_offer):  # noqa: F811
    answers = [web.get(_link(link_offer)).status_code for _ in range(2)]
    answers.append(web.get(reverse("allocation:offer_link", args=["1-x"])).status_code)

    assert answers == [200, 200, 429]


def test_ids_past_bigint_answer_404_not_500(logged_in):
    huge = 2**70
    answers = [
        logged_in.get(reverse("allocation:leave", args=[huge])),
        logged_in.post(reverse("allocation:resume", args=[huge])),
        logged_in.get(reverse("allocation:offer", args=[huge])),
        logged_in.get(reverse("allocation:offer_link", args=[f"{huge}-{'0' * 32}"])),
    ]

    assert [a.status_code for a in answers] == [404] * 4
