"""The closure pages of the back office (``agent:closures``, ``agent:closure_new``,
``agent:closure``, ``agent:closure_lift``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from booking.models import Appointment, AppointmentStatus, Closure, ClosureKind, Slot
from booking.services import appointment_book, closure_create
from notifications.models import Message
from tests import factories
from tests.auth import login

pytestmark = pytest.mark.django_db


def _booked_day(site, procedure, people=3, offset=4):
    day = timezone.localdate() + timedelta(days=offset)
    slot = factories.SlotFactory(
        site=site,
        procedure=procedure,
        starts_at=timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
        + timedelta(hours=10),
        capacity=people,
    )
    for _ in range(people):
        person = factories.ApplicantFactory()
        appointment_book(actor=person.user, applicant=person, slot_id=slot.pk)
    return day, slot


def _form(site, day, **more):
    return {
        "site": site.pk,
        "procedure": "",
        "date_from": day.isoformat(),
        "kind": ClosureKind.STRIKE,
        "reason": "Mouvement social",
        **more,
    }


def test_the_preview_counts_and_changes_nothing_then_confirming_closes(
    client, agent, site, procedure
):
    day, slot = _booked_day(site, procedure)
    browser = login(client, agent)
    url = reverse("agent:closure_new")

    preview = browser.post(url, {**_form(site, day), "preview": ""})

    assert preview.status_code == 200
    assert preview.context["preview"].slots == 1
    assert preview.context["preview"].appointments == 3
    assert 'name="confirm"' in preview.content.decode()
    assert not Closure.objects.exists()

    done = browser.post(url, {**_form(site, day), "confirm": ""})

    closure = Closure.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("agent:closure", args=[closure.pk])
    assert closure.appointments_cancelled == 3
    slot.refresh_from_db()
    assert slot.closure_id == closure.pk


def test_the_closure_page_lists_the_people_told_and_their_messages(client, agent, site, procedure):
    _day, slot = _booked_day(site, procedure, people=2)
    closure = closure_create(
        actor=agent,
        site=site,
        starts_at=slot.starts_at - timedelta(hours=1),
        ends_at=slot.starts_at + timedelta(hours=1),
        kind=ClosureKind.OUTAGE,
        reason="Panne",
    )
    browser = login(client, agent)

    page = browser.get(reverse("agent:closure", args=[closure.pk]))

    assert page.status_code == 200
    rows = page.context["people"]
    assert len(rows) == 2
    assert all(len(row["messages"]) == 2 for row in rows)
    assert all(row["right"] is not None for row in rows)
    html = page.content.decode()
    for appointment in Appointment.objects.filter(status=AppointmentStatus.CANCELLED):
        assert appointment.reference in html
    assert Message.objects.filter(template_key="appointment_cancelled").count() == 4


def test_an_agent_of_another_site_sees_a_404_and_cannot_choose_the_site(
    client, agent, other_agent, site, procedure
):
    day, slot = _booked_day(site, procedure)
    closure = closure_create(
        actor=agent,
        site=site,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind=ClosureKind.OTHER,
        reason="Travaux",
    )
    browser = login(client, other_agent)

    assert browser.get(reverse("agent:closure", args=[closure.pk])).status_code == 404
    assert browser.post(reverse("agent:closure_lift", args=[closure.pk])).status_code == 404
    listing = browser.get(reverse("agent:closures"))
    assert closure not in listing.context["closures"]
    refused = browser.post(reverse("agent:closure_new"), {**_form(site, day), "confirm": ""})
    assert refused.status_code == 200
    assert "site" in refused.context["form"].errors
    closure.refresh_from_db()
    assert closure.lifted_at is None and Closure.objects.count() == 1


def test_a_bad_range_is_a_message_on_the_form(client, agent, site):
    browser = login(client, agent)
    day = timezone.localdate() + timedelta(days=2)

    page = browser.post(
        reverse("agent:closure_new"),
        {**_form(site, day), "time_from": "14:00", "time_to": "10:00", "preview": ""},
    )

    assert page.status_code == 200
    with translation.override("fr"):
        assert gettext("The end of the closure must come after its start.") in str(
            page.context["form"].non_field_errors()
        )
    assert not Closure.objects.exists()


@pytest.mark.parametrize(
    "dates",
    [
        {"date_from": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "9999-12-31"},
    ],
)
def test_a_date_out_of_any_closures_reach_is_a_message_not_an_error(client, agent, site, dates):
    """The last day a date can be has no next day to end the closure: it was a 500."""
    browser = login(client, agent)
    form = {**_form(site, timezone.localdate() + timedelta(days=2)), **dates, "preview": ""}

    page = browser.post(reverse("agent:closure_new"), form)

    assert page.status_code == 200
    with translation.override("fr"):
        expected = gettext("Enter a date within ten years of today.")
    assert [expected] == page.context["form"].errors[next(iter(dates))]
    assert not Closure.objects.exists()


def test_lifting_from_the_page_reopens_the_slots(client, agent, site, procedure):
    _day, slot = _booked_day(site, procedure)
    closure = closure_create(
        actor=agent,
        site=site,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind=ClosureKind.HOLIDAY,
        reason="Férié",
    )
    browser = login(client, agent)

    response = browser.post(reverse("agent:closure_lift", args=[closure.pk]))

    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.closure_id is None and slot.capacity == 3


def test_applicants_and_mediators_are_refused(client, applicant, mediator):
    assert login(client, applicant.user).get(reverse("agent:closures")).status_code == 403
    client.logout()
    assert login(client, mediator).get(reverse("agent:closure_new")).status_code == 403


def test_the_list_page_does_not_grow_in_queries(client, agent, site, django_assert_max_num_queries):
    for hour in range(5):
        start = timezone.now() + timedelta(days=5, hours=hour)
        closure_create(
            actor=agent,
            site=site,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            kind=ClosureKind.OTHER,
            reason=f"Raison {hour}",
        )
    browser = login(client, agent)
    with django_assert_max_num_queries(8):
        assert browser.get(reverse("agent:closures")).status_code == 200
    assert Slot.objects.count() == 0


def test_closure_routes_take_a_bounded_number_of_queries(
    client, agent, site, procedure, django_assert_max_num_queries
):
    """Every closure route, pages and API, in a world of several closures with
    several people each: the counts do not grow with the rows."""
    from tests.helpers.api_clients import token_client

    closures = []
    for n in range(3):
        _day, slot = _booked_day(site, procedure, people=4, offset=4 + n)
        closures.append(
            closure_create(
                actor=agent,
                site=site,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                kind=ClosureKind.STRIKE,
                reason="Grève",
            )
        )
    day, fresh = _booked_day(site, procedure, people=3, offset=10)
    closure = closures[0]
    browser = login(client, agent)
    api = token_client(agent)
    # Staff session (3: session, user, device), then the page's own.
    pages = [
        # The closures with their site, procedure and accounts; their count.
        ("get", reverse("agent:closures"), {}, 6, 200),
        # The sites for the form's choices, the procedures.
        ("get", reverse("agent:closure_new"), {}, 6, 200),
        # The form's site and procedure, then the preview's three counts.
        ("post", reverse("agent:closure_new"), {**_form(site, day), "preview": ""}, 13, 200),
        # The closure; the audit rows, appointments, messages and rights.
        ("get", reverse("agent:closure", args=[closure.pk]), {}, 8, 200),
    ]
    for method, url, data, bound, expected in pages:
        with django_assert_max_num_queries(bound):
            assert getattr(browser, method)(url, data).status_code == expected, url
    api_calls = [
        ("get", "/api/v1/agent/closures/", {}, 4, 200),
        (
            "post",
            "/api/v1/agent/closures/",
            {
                "site": site.slug,
                "starts_at": fresh.starts_at.isoformat(),
                "ends_at": fresh.ends_at.isoformat(),
                "kind": "strike",
                "reason": "Grève",
                "preview": True,
            },
            8,
            200,
        ),
    ]
    for method, url, data, bound, expected in api_calls:
        with django_assert_max_num_queries(bound):
            assert getattr(api, method)(url, data, format="json").status_code == expected, url
    # Lifting: the closure, the site check, its lock, the slots (with their
    # procedures, locked; the UPDATE), the closure saved, the new-slot alert owed
    # for the seats reopened (their procedure's horizon, the alert's row) and
    # the audit row.
    with django_assert_max_num_queries(14):
        assert browser.post(reverse("agent:closure_lift", args=[closure.pk])).status_code == 302
    with django_assert_max_num_queries(13):
        response = api.post(f"/api/v1/agent/closures/{closures[1].pk}/lift/")
        assert response.status_code == 200
    # Closing a slot of 3 appointments: each cancellation is the service's (its
    # locks, its outbox rows, its audit row), so it grows with them; then the
    # waiting list's two (the people's entries, locked; the procedure's mode at
    # the site): 62 today.
    with django_assert_max_num_queries(62):
        response = api.post(
            "/api/v1/agent/closures/",
            {
                "site": site.slug,
                "starts_at": fresh.starts_at.isoformat(),
                "ends_at": fresh.ends_at.isoformat(),
                "kind": "strike",
                "reason": "Grève",
            },
            format="json",
        )
        assert response.status_code == 201
    # A day with nothing to close: the closure and its audit row.
    with django_assert_max_num_queries(14):
        response = browser.post(
            reverse("agent:closure_new"),
            {**_form(site, day + timedelta(days=1)), "confirm": ""},
        )
        assert response.status_code == 302
