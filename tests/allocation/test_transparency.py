"""The public transparency page and its API: each figure on a seeded world, what
a publication at a random moment shows (its day only), nothing of inactive
procedures or sites, the API equal to the page, bounded queries, the cache and
the rate limit, and the links from every "nothing free" page."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from allocation import transparency
from allocation.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from allocation.templatetags.allocation_links import given_by_list
from attempts.models import FailedSearch
from audit.models import AuditAction, AuditEvent
from booking.models import (
    AllocationMode,
    AllocationPolicy,
    AppointmentStatus,
    Channel,
    Pool,
    Publication,
)
from tests import factories
from tests.helpers.booking_pages import links_to, routes_link_to
from tests.helpers.dashboard import appointment_at
from tests.helpers.pages import web  # noqa: F401 - pages in English

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _at(day, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def _slot(site, procedure, *, days: float = 5, pool: str = Pool.PUBLIC):
    starts_at = (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0)
    return factories.SlotFactory(
        site=site, procedure=procedure, pool=pool, starts_at=starts_at, capacity=20
    )


def _entry(procedure, site_ids, *, status=EntryStatus.WAITING, joined_at=None):
    applicant = factories.ApplicantFactory()
    return WaitlistEntry.objects.create(
        applicant=applicant,
        procedure=procedure,
        identity_key=f"agdref:{applicant.document_number}",
        site_ids=site_ids,
        status=status,
        channel=Channel.WEB,
        joined_at=joined_at or timezone.now(),
        queued_at=joined_at or timezone.now(),
    )


def _accepted_offer(procedure, slot, *, waited_days: float, answered_at):
    entry = _entry(
        procedure,
        [slot.site_id],
        status=EntryStatus.SERVED,
        joined_at=answered_at - timedelta(days=waited_days),
    )
    return Offer.objects.create(
        entry=entry,
        applicant=entry.applicant,
        procedure=procedure,
        slot=slot,
        status=OfferStatus.ACCEPTED,
        created_at=answered_at - timedelta(hours=2),
        expires_at=answered_at + timedelta(hours=22),
        answered_at=answered_at,
    )


def _audit(action, appointment, details):
    AuditEvent.objects.create(
        action=action,
        appointment=appointment,
        appointment_reference=appointment.reference,
        details=details,
    )


def _publication(site, procedure, *, visible_at, window=None):
    parameters = {}
    if window is not None:
        parameters["visible_window"] = [moment.isoformat() for moment in window]
    return Publication.objects.create(
        site=site,
        procedure=procedure,
        visible_at=visible_at,
        date_from=timezone.localdate() + timedelta(days=20),
        date_to=timezone.localdate() + timedelta(days=25),
        parameters=parameters,
        slots_created=4,
        seats_created=12,
    )


@pytest.fixture
def seeded():
    """A procedure given out by its list at one site (``queued``) and first come,
    first served at the other (``opened``, the site's own mode), with people
    waiting, appointments over the weeks, waits, a publication to come and
    bookings refused as abuse. And an inactive procedure and site with data."""
    now = timezone.now()
    weeks = transparency.weeks_measured(now)
    queued, opened = factories.SiteFactory(name="A queued"), factories.SiteFactory(name="B open")
    procedure = factories.ProcedureFactory(name="First permit")
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    AllocationPolicy.objects.create(procedure=procedure, site=opened, mode=AllocationMode.OPEN)
    at_queued, at_opened = _slot(queued, procedure), _slot(opened, procedure, days=6)

    # Waiting: two waiting at both sites, one paused at the first, one who left.
    _entry(procedure, [queued.pk, opened.pk])
    _entry(procedure, [queued.pk, opened.pk])
    _entry(procedure, [queued.pk], status=EntryStatus.PAUSED)
    _entry(procedure, [queued.pk], status=EntryStatus.LEFT)

    # Appointments made: two in the third week, one in the last (and one cancelled
    # there), one this week (not a complete week: not in the weekly figures).
    booked = AppointmentStatus.BOOKED
    two = [appointment_at(at_queued, booked, created_at=_at(weeks[2])) for _ in range(2)]
    appointment_at(at_queued, booked, created_at=_at(weeks[7] + timedelta(days=6), 23))
    appointment_at(at_queued, AppointmentStatus.CANCELLED, created_at=_at(weeks[7]))
    appointment_at(at_queued, booked, created_at=now - timedelta(minutes=1))

    # Waits through the list at the first site: 10, 20 and 40 days (median 20); an
    # offer accepted before the weeks measured is left out.
    for waited in (10, 20, 40):
        _accepted_offer(procedure, at_queued, waited_days=waited, answered_at=_at(weeks[3]))
    _accepted_offer(
        procedure, at_queued, waited_days=200, answered_at=_at(weeks[0]) - timedelta(days=1)
    )

    # First come, first served at the other: 6 and 9 days from the first search
    # that found nothing (median 7.5); a booking without such a search is not measured.
    for days in (6, 9):
        made = appointment_at(at_opened, booked, created_at=_at(weeks[5]))
        for before in (days, days - 2):  # the first search counts
            FailedSearch.objects.create(
                applicant=made.applicant,
                procedure=procedure,
                site=None,
                hour=(made.created_at - timedelta(days=before)).replace(minute=0),
                first_at=made.created_at - timedelta(days=before),
                last_at=made.created_at - timedelta(days=before),
            )
    appointment_at(at_opened, booked, created_at=_at(weeks[5]))

    # Abuse at the first site: a check-in refused (twice: one booking), one
    # cancelled by a suspension. Not abuse: a refusal then let in, a cancellation.
    refused = two[0]
    _audit(AuditAction.APPOINTMENT_CHECK_IN_REFUSED, refused, {"site": queued.pk})
    _audit(AuditAction.APPOINTMENT_CHECK_IN_REFUSED, refused, {"site": queued.pk})
    let_in = appointment_at(at_queued, AppointmentStatus.CHECKED_IN, created_at=_at(weeks[1]))
    _audit(AuditAction.APPOINTMENT_CHECK_IN_REFUSED, let_in, {"site": queued.pk})
    suspended = appointment_at(at_queued, AppointmentStatus.CANCELLED, created_at=_at(weeks[1]))
    _audit(AuditAction.APPOINTMENT_CANCELLED, suspended, {"slot": 1, "suspension": 7})
    cancelled = appointment_at(at_queued, AppointmentStatus.CANCELLED, created_at=_at(weeks[1]))
    _audit(AuditAction.APPOINTMENT_CANCELLED, cancelled, {"slot": 1})

    # A publication to come at the first site, at a chosen moment in 3 days.
    in_three_days = now + timedelta(days=3)
    _publication(queued, procedure, visible_at=in_three_days)
    _publication(queued, procedure, visible_at=now - timedelta(days=1))  # passed

    # Inactive: a procedure, and a site, both with slots and people waiting.
    closed_procedure = factories.ProcedureFactory(name="Closed procedure", is_active=False)
    closed_site = factories.SiteFactory(name="Closed site", is_active=False)
    _slot(queued, closed_procedure)
    _slot(closed_site, procedure)
    _entry(closed_procedure, [queued.pk])
    return {
        "procedure": procedure,
        "queued": queued,
        "opened": opened,
        "weeks": weeks,
        "in_three_days": timezone.localdate(in_three_days),
    }


def _rows(figures):
    return {(row.procedure_name, row.site_name): row for row in figures.rows}


def test_each_figure_on_a_seeded_world(seeded):
    figures = transparency.compute()

    rows = _rows(figures)
    assert set(rows) == {("First permit", "A queued"), ("First permit", "B open")}
    queued, opened = rows[("First permit", "A queued")], rows[("First permit", "B open")]
    assert figures.weeks == seeded["weeks"] and len(figures.weeks) == 8
    assert (queued.mode, opened.mode) == (AllocationMode.QUEUE, AllocationMode.OPEN)
    assert (queued.waiting, opened.waiting) == (3, 2)
    assert queued.seats_by_week == [0, 1, 2, 0, 0, 0, 0, 1]  # the checked-in one in week 2
    assert queued.seats_per_week == 0.5
    assert opened.seats_by_week == [0, 0, 0, 0, 0, 3, 0, 0]
    assert queued.median_wait_days == 20.0
    assert opened.median_wait_days == 7.5
    assert queued.next_publication == seeded["in_three_days"]
    assert opened.next_publication is None
    assert (queued.refused_as_abuse, opened.refused_as_abuse) == (2, 0)


def test_nothing_shown_of_inactive_procedures_or_sites(seeded):
    names = {name for pair in _rows(transparency.compute()) for name in pair}

    assert "Closed procedure" not in names and "Closed site" not in names


def test_refusals_counted_once_per_booking_and_narrowed(seeded):
    procedure, queued = seeded["procedure"], seeded["queued"]

    everywhere = transparency.refused_as_abuse_by_pair()
    one_site = transparency.refused_as_abuse_by_pair(procedure_id=procedure.pk, site_id=queued.pk)
    later = transparency.refused_as_abuse_by_pair(since=timezone.now() + timedelta(days=1))

    assert everywhere == one_site == {(procedure.pk, queued.pk): 2}
    assert later == {}


def test_a_random_window_shows_its_first_day_only_before_and_after_its_moment():
    site, procedure = factories.SiteFactory(), factories.ProcedureFactory()
    first_day = timezone.localdate() + timedelta(days=2)
    start, end = _at(first_day, 12), _at(first_day + timedelta(days=3), 12)
    drawn = _at(first_day, 14) + timedelta(minutes=13)
    _publication(site, procedure, visible_at=drawn, window=(start, end))

    before_window = transparency.compute(timezone.now())
    before_moment = transparency.compute(drawn - timedelta(minutes=30))
    after_moment = transparency.compute(drawn + timedelta(minutes=30))
    ended = transparency.compute(end + timedelta(minutes=1))

    assert before_window.rows[0].next_publication == first_day
    # Within the window, the same answer on either side of the drawn moment:
    # neither the moment nor its passing can be read here.
    assert before_moment.rows[0].next_publication == first_day
    assert [r.as_json() for r in before_moment.rows] == [r.as_json() for r in after_moment.rows]
    assert ended.rows == []  # nothing else ties this site to the procedure


def test_the_page_never_shows_the_drawn_minute(web):  # noqa: F811
    site, procedure = factories.SiteFactory(), factories.ProcedureFactory()
    now = timezone.now()
    start, end = now + timedelta(days=2), now + timedelta(days=6)
    drawn = timezone.localtime(now + timedelta(days=4, hours=3, minutes=17))
    _publication(site, procedure, visible_at=drawn, window=(start, end))

    html = web.get(reverse("allocation:transparency")).content.decode()
    api = web.get(reverse("api:transparency")).json()

    assert drawn.strftime("%H:%M") not in html
    assert drawn.isoformat()[:16] not in str(api)
    assert api["rows"][0]["next_publication"] == timezone.localdate(start).isoformat()
    day = timezone.localdate(start)
    assert str(day.day) in html and str(day.year) in html


def test_window_begun_shows_today_and_its_end_removes_it():
    site, procedure = factories.SiteFactory(), factories.ProcedureFactory()
    now = timezone.now()
    _publication(
        site,
        procedure,
        visible_at=now + timedelta(hours=30),
        window=(now - timedelta(days=2), now + timedelta(days=2)),
    )
    _publication(
        site,
        procedure,
        visible_at=now - timedelta(hours=3),
        window=(now - timedelta(days=3), now - timedelta(hours=1)),
    )

    (row,) = transparency.compute(now).rows

    assert row.next_publication == timezone.localdate(now)


def test_the_api_gives_the_page_figures(web, seeded):  # noqa: F811
    page = web.get(reverse("allocation:transparency"))
    api = web.get(reverse("api:transparency"))

    assert page.status_code == api.status_code == 200
    body = api.json()
    assert body["rows"] == [row.as_json() for row in page.context["figures"].rows]
    assert body["weeks"] == [week.isoformat() for week in seeded["weeks"]]
    assert body["order_rule"] == page.context["order_rule"]
    first = body["rows"][0]
    assert first["procedure"]["slug"] == seeded["procedure"].slug
    assert first["seats_by_week"] == [0, 1, 2, 0, 0, 0, 0, 1]
    assert first["median_wait_measure"] == "joined_to_offer_accepted"
    assert first["next_publication"] == seeded["in_three_days"].isoformat()
    assert body["rows"][1]["median_wait_measure"] == "first_failed_search_to_booking"


def test_the_page_shows_each_figure_in_accessible_tables(web, seeded):  # noqa: F811
    response = web.get(reverse("allocation:transparency"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<caption>") == 2  # one procedure: its figures, its weeks
    # The place's name, the prefecture's French, marked so in this English page (RGAA 8.7).
    assert '<th scope="row"><span lang="fr">A queued</span></th>' in html
    assert "Waiting list" in html and "First come, first served" in html
    assert "20 days" in html and "8 days" in html  # 7.5 shown rounded
    assert seeded["in_three_days"].strftime("%Y") in html
    assert "court ordered" in html  # the order rule, as allocation.rules states it
    assert routes_link_to(response, reverse("mediation:points"))
    assert routes_link_to(response, reverse("mediation:substitution"))


def test_figures_are_cached_then_computed_again(web, seeded, settings):  # noqa: F811
    settings.TRANSPARENCY_CACHE_SECONDS = 60
    first = web.get(reverse("api:transparency")).json()
    _entry(seeded["procedure"], [seeded["queued"].pk])

    cached = web.get(reverse("api:transparency")).json()
    cache.clear()
    fresh = web.get(reverse("api:transparency")).json()

    assert cached == first
    assert fresh["rows"][0]["waiting"] == first["rows"][0]["waiting"] + 1


@pytest.mark.parametrize("route", ["allocation:transparency", "api:transparency"])
def test_rate_limited_per_client_address(web, settings, route):  # noqa: F811
    settings.RATELIMITS = {**settings.RATELIMITS, "transparency": {"ip": (2, 60)}}

    answers = [web.get(reverse(route)).status_code for _ in range(3)]
    other = web.get(reverse(route), REMOTE_ADDR="198.51.100.7").status_code

    assert answers == [200, 200, 429]
    assert other == 200


def test_figures_take_a_fixed_number_of_queries_whatever_the_data(
    seeded, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        small = transparency.compute()
    procedure = factories.ProcedureFactory()
    for _ in range(4):
        site = factories.SiteFactory()
        slot = _slot(site, procedure)
        appointment_at(slot, AppointmentStatus.BOOKED, created_at=_at(seeded["weeks"][4]))
        _entry(procedure, [site.pk])
        _publication(site, procedure, visible_at=timezone.now() + timedelta(days=1))

    with django_assert_max_num_queries(8):
        larger = transparency.compute()

    assert len(larger.rows) == len(small.rows) + 4


def test_transparency_takes_a_bounded_number_of_queries_whatever_the_data(
    web,  # noqa: F811
    seeded,
    django_assert_max_num_queries,
):
    """The page and the API: the figures' eight queries once, none when cached."""
    for route in ("allocation:transparency", "api:transparency"):
        cache.clear()
        with django_assert_max_num_queries(8):
            assert web.get(reverse(route)).status_code == 200
        with django_assert_max_num_queries(0):
            assert web.get(reverse(route)).status_code == 200


def test_the_schema_documents_the_endpoint(web):  # noqa: F811
    schema = web.get(reverse("api:schema"), HTTP_ACCEPT="application/json").content.decode()

    assert "/api/v1/transparency/" in schema
    assert "transparency_retrieve" in schema
    assert "median_wait_measure" in schema


# --- The "nothing free" pages link here ---------------------------------------------------


@pytest.fixture
def logged_in(web, applicant):  # noqa: F811 - the imported fixture, by name
    web.force_login(applicant.user)
    return web


def test_nothing_free_pages_link_to_transparency_and_the_routes(logged_in):
    procedure, empty_site = factories.ProcedureFactory(), factories.SiteFactory()
    nowhere = logged_in.get(reverse("booking:sites", args=[procedure.slug]))
    factories.SlotFactory(procedure=procedure)  # free elsewhere
    day = (timezone.localdate() + timedelta(days=10)).isoformat()

    pages = [
        nowhere,
        logged_in.get(reverse("booking:days", args=[procedure.slug, empty_site.slug])),
        logged_in.get(
            reverse("booking:times", args=[procedure.slug, empty_site.slug]), {"date": day}
        ),
    ]

    for response in pages:
        assert response.status_code == 200
        # In the box of the other routes: every page's footer has these links too.
        assert routes_link_to(response, reverse("allocation:transparency"))
        assert routes_link_to(response, reverse("mediation:points"))
        assert routes_link_to(response, reverse("mediation:substitution"))


def test_the_waiting_list_is_offered_only_for_a_procedure_given_out_by_one(logged_in):
    procedure = factories.ProcedureFactory()
    open_html = logged_in.get(reverse("booking:sites", args=[procedure.slug])).content.decode()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    queue_html = logged_in.get(reverse("booking:sites", args=[procedure.slug])).content.decode()

    assert given_by_list(procedure)
    assert "No free time at the moment" in open_html
    assert _join_url(procedure) not in open_html
    assert f'href="{_join_url(procedure)}"' in queue_html


def _join_url(procedure) -> str:
    return reverse("allocation:join", args=[procedure.slug])


def test_the_footer_links_to_the_transparency_page(web):  # noqa: F811
    response = web.get(reverse("home"))

    assert links_to(response, reverse("allocation:transparency"))


def test_the_week_headers_are_the_mondays(web, seeded):  # noqa: F811
    html = web.get(reverse("allocation:transparency")).content.decode()

    assert len(re.findall(r"<th scope=\"col\">Week of ", html)) == 8
