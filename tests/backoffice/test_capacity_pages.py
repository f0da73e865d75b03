"""The capacity pages: publishing through a preview (nothing written before the
publish button; the same parameters checked again), the calendar per site and
procedure (week, month), a day's slots, reducing a capacity and moving
counters; an agent of another site gets 404 everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.models import AuditAction, AuditEvent
from booking.models import Pool, Publication, Slot
from booking.services import appointment_book
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db

PUBLISH = reverse("agent:publish")
CALENDAR = reverse("agent:calendar")


def _monday():
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday() + 7)


def _form(site, procedure, **changes) -> dict:
    monday = _monday()
    data = {
        "site": site.pk,
        "procedure": procedure.pk,
        "date_from": monday.isoformat(),
        "date_to": (monday + timedelta(days=6)).isoformat(),
        "weekdays": ["0", "1", "2", "3", "4"],
        "range_1_start": "09:00",
        "range_1_end": "10:00",
        "range_2_start": "14:00",
        "range_2_end": "15:00",
        "slot_minutes": "20",
        "counters": "3",
        "mediation_counters": "1",
        "priority_counters": "0",
        "visibility": "now",
    }
    data.update(changes)
    return data


def _day_url(slot) -> str:
    day = timezone.localdate(slot.starts_at).isoformat()
    return reverse("agent:calendar_day", args=[slot.site.slug, slot.procedure.slug, day])


@pytest.fixture
def agent_web(web, agent):
    return login(web, agent)


@pytest.fixture
def other_web(web, other_agent):
    return login(web, other_agent)


# --- Publishing ---------------------------------------------------------------------------


def test_the_form_offers_the_agent_s_sites_only(agent_web, site, procedure):
    elsewhere = factories.SiteFactory(name="Elsewhere")

    response = agent_web.get(PUBLISH)

    assert response.status_code == 200
    assert site.name in response.content.decode()
    assert elsewhere.name not in response.content.decode()


def test_the_preview_writes_nothing_then_publish_creates_what_it_showed(agent_web, site, procedure):
    response = agent_web.post(PUBLISH, _form(site, procedure, action="preview"))

    assert response.status_code == 200
    assert not Slot.objects.exists() and not Publication.objects.exists()
    preview = response.context["preview"]
    # 5 days x 2 ranges x 3 times, public (2) and mediation (1)
    assert (preview.slots, preview.seats) == (60, 90)
    html = response.content.decode()
    assert 'name="action" value="publish"' in html
    assert 'type="hidden" name="range_2_end" value="14:00"' not in html  # the re-post is exact
    assert 'type="hidden" name="range_2_end" value="15:00"' in html

    published = agent_web.post(PUBLISH, _form(site, procedure, action="publish"), follow=True)

    assert published.redirect_chain[-1][0].startswith(CALENDAR)
    assert Slot.objects.filter(site=site).count() == 60
    assert AuditEvent.objects.filter(action=AuditAction.SLOTS_PUBLISHED).count() == 1
    assert "60 slots, 90 seats" in published.content.decode()


def test_the_preview_names_the_days_that_already_have_slots(agent_web, site, procedure):
    agent_web.post(PUBLISH, _form(site, procedure, action="publish", date_to=_monday().isoformat()))

    response = agent_web.post(PUBLISH, _form(site, procedure, action="preview"))

    assert response.context["preview"].clashes == 6
    assert response.context["preview"].clash_days == [_monday()]
    assert "6 times already have slots" in response.content.decode()


def test_a_tampered_re_post_is_checked_again(agent_web, site, procedure):
    elsewhere = factories.SiteFactory()

    response = agent_web.post(PUBLISH, _form(elsewhere, procedure, action="publish"))

    assert response.status_code == 200
    assert response.context["form"].errors["site"]
    response = agent_web.post(
        PUBLISH, _form(site, procedure, action="publish", mediation_counters="4")
    )
    assert response.context["form"].non_field_errors()
    assert not Slot.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"range_1_end": "", "range_2_start": "", "range_2_end": ""}, "range_1_end"),
        (
            {"range_1_start": "", "range_1_end": "", "range_2_start": "", "range_2_end": ""},
            "range_1_start",
        ),
        ({"visibility": "at"}, "visible_at"),
        ({"visibility": "window", "visible_at": "2030-01-01T10:00"}, "visible_until"),
        ({"weekdays": []}, "weekdays"),
        ({"counters": "0"}, "counters"),
    ],
)
def test_a_form_with_errors_says_which_field(agent_web, site, procedure, changes, field):
    response = agent_web.post(PUBLISH, _form(site, procedure, action="preview", **changes))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'id="error-summary"' in response.content.decode()
    assert not Slot.objects.exists()


def test_the_form_is_in_french_first(web, agent, site, procedure):
    login(web, agent)
    web.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"

    response = web.get(PUBLISH)

    with translation.override("fr"):
        assert gettext("Publish capacity") in response.content.decode()


@pytest.mark.parametrize("persona", ["applicant_user", "mediator"])
def test_who_is_not_staff_gets_403(web, request, persona):
    login(web, request.getfixturevalue(persona))

    assert web.get(PUBLISH).status_code == 403
    assert web.get(CALENDAR).status_code == 403


# --- The calendar -----------------------------------------------------------------------------


def test_the_week_shows_capacity_booked_and_free_per_day_and_pool(agent_web, site, procedure):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=4)
    factories.SlotFactory(
        site=site, procedure=procedure, starts_at=slot.starts_at, pool=Pool.PRIORITY, capacity=1
    )
    person = factories.ApplicantFactory()
    appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
    day = timezone.localdate(slot.starts_at)

    response = agent_web.get(
        CALENDAR, {"site": site.slug, "procedure": procedure.slug, "date": day.isoformat()}
    )

    assert response.status_code == 200
    (row,) = [row for row in response.context["days"] if row["day"] == day]
    public, mediation, priority = row["pools"]
    assert (public.capacity, public.booked, public.free) == (4, 1, 3)
    assert (mediation.capacity, priority.capacity) == (0, 1)
    assert (row["total"].capacity, row["total"].free) == (5, 4)
    assert len(response.context["days"]) == 7
    assert _day_url(slot) in response.content.decode()


def test_the_month_has_every_day_and_navigates(agent_web, site, procedure):
    response = agent_web.get(
        CALENDAR,
        {"site": site.slug, "procedure": procedure.slug, "view": "month", "date": "2027-02-10"},
    )

    days = response.context["days"]
    assert (days[0]["day"].isoformat(), days[-1]["day"].isoformat()) == ("2027-02-01", "2027-02-28")
    assert "date=2027-01-31" in response.context["previous_url"]
    assert "date=2027-03-01" in response.context["next_url"]


def test_the_calendar_reads_once_whatever_the_range(
    agent_web, site, procedure, django_assert_max_num_queries
):
    factories.SlotFactory.create_batch(30, site=site, procedure=procedure)
    query = {"site": site.slug, "procedure": procedure.slug, "view": "month"}

    with django_assert_max_num_queries(8):
        response = agent_web.get(CALENDAR, query)

    assert response.status_code == 200


def test_another_site_s_calendar_and_day_answer_404(other_web, slot):
    query = {"site": slot.site.slug, "procedure": slot.procedure.slug}

    assert other_web.get(CALENDAR, query).status_code == 404
    assert other_web.get(_day_url(slot)).status_code == 404
    response = other_web.post(
        _day_url(slot), {"action": "capacity", "slot": slot.pk, "capacity": 1}
    )
    assert response.status_code == 404
    slot.refresh_from_db()
    assert slot.capacity == 3


# --- A day's slots -----------------------------------------------------------------------------


def test_the_day_lists_its_slots_and_reduces_a_capacity(agent_web, slot):
    response = agent_web.get(_day_url(slot))
    assert response.status_code == 200
    assert [row["slot"].pk for row in response.context["rows"]] == [slot.pk]

    response = agent_web.post(
        _day_url(slot), {"action": "capacity", "slot": slot.pk, "capacity": "1"}, follow=True
    )

    slot.refresh_from_db()
    assert slot.capacity == 1
    assert "The capacity is changed." in response.content.decode()


def test_reducing_below_what_is_booked_is_refused_on_the_page(agent_web, slot):
    for _ in range(2):
        person = factories.ApplicantFactory()
        appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)

    response = agent_web.post(
        _day_url(slot), {"action": "capacity", "slot": slot.pk, "capacity": "1"}
    )

    assert response.status_code == 200
    assert "2 seats of this time slot are booked" in response.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 3


def test_moving_counters_on_the_page(agent_web, slot):
    response = agent_web.post(
        _day_url(slot), {"action": "move", "slot": slot.pk, "to_pool": "mediation", "count": "2"}
    )

    assert response.status_code == 302
    slot.refresh_from_db()
    mediation = Slot.objects.get(starts_at=slot.starts_at, pool=Pool.MEDIATION)
    assert (slot.capacity, mediation.capacity) == (1, 2)


def test_a_slot_of_another_day_is_not_changed_from_this_one(agent_web, site, procedure, slot):
    tomorrow = factories.SlotFactory(
        site=site, procedure=procedure, starts_at=slot.starts_at + timedelta(days=1)
    )

    response = agent_web.post(
        _day_url(slot), {"action": "capacity", "slot": tomorrow.pk, "capacity": "1"}
    )

    assert response.status_code == 200
    assert "This time slot does not exist." in response.content.decode()
    tomorrow.refresh_from_db()
    assert tomorrow.capacity == 3


def test_the_capacity_posts_are_rate_limited(agent_web, slot, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "capacity": {"account": (2, 3600)}}
    url = _day_url(slot)
    for capacity in ("2", "1"):
        agent_web.post(url, {"action": "capacity", "slot": slot.pk, "capacity": capacity})

    response = agent_web.post(url, {"action": "capacity", "slot": slot.pk, "capacity": "0"})

    assert response.status_code == 429
    slot.refresh_from_db()
    assert slot.capacity == 1


def test_capacity_pages_take_a_bounded_number_of_queries(
    agent_web, site, procedure, django_assert_max_num_queries
):
    """Whatever the number of slots and sites: the session and the second factor,
    the agent's sites and the procedures (the choices), one read of capacity and
    one of the site's allocation mode (its pools); a write adds its lock,
    update, audit row and the day's slots again."""
    factories.SiteFactory.create_batch(3)
    slots = factories.SlotFactory.create_batch(40, site=site, procedure=procedure)
    day_url = _day_url(slots[0])
    calendar = {"site": site.slug, "procedure": procedure.slug}

    for method, url, data, bound in [
        ("get", PUBLISH, None, 7),
        ("post", PUBLISH, _form(site, procedure, action="preview"), 12),
        ("post", PUBLISH, _form(site, procedure, action="publish"), 16),
        ("get", CALENDAR, calendar, 7),
        ("get", CALENDAR, {**calendar, "view": "month"}, 7),
        ("get", day_url, None, 7),
        ("post", day_url, {"action": "capacity", "slot": slots[0].pk, "capacity": "2"}, 14),
        (
            "post",
            day_url,
            {"action": "move", "slot": slots[0].pk, "to_pool": "priority", "count": "1"},
            17,
        ),
    ]:
        with django_assert_max_num_queries(bound):
            response = getattr(agent_web, method)(url, data)
        assert response.status_code in (200, 302), (url, data)
