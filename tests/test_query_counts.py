"""Query counts of every applicant page and every endpoint of ``/api/v1/``.

Each request is made in a busy world, built on the persona world
(``tests/personas.py``): several sites, procedures and days of
slots, the applicant's five appointments (one of them moved, one cancelled)
and their messages, alerts on three procedures at three sites, other people's
appointments, several access points. Any query made per row (an N+1) would
add at least five queries and break the bound. The bounds are what the code
does today; the comments say what the queries are. Staff pages and the
endpoints others are adding (back office, audit, second factor, tokens) are
bounded with them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import api_token_create
from booking.models import Slot
from notifications.services import unsubscribe_token
from tests import factories
from tests.auth import login
from tests.helpers.query_world import World, busy_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cold_caches(settings):
    """Count the worst case: no availability cache, no memory of full slots."""
    from booking.api import soldout

    settings.GUICHET_AVAILABILITY_CACHE_SECONDS = 0
    soldout.clear()
    yield
    soldout.clear()


@pytest.fixture
def world(persona_world) -> World:
    return busy_world(persona_world)


def _day(slot: Slot) -> str:
    return timezone.localdate(slot.starts_at).isoformat()


# --- Applicant pages --------------------------------------------------------------------------

# (name, url maker, most queries, status). Logged in: session and user are 2 of each.
PAGES = [
    ("home", lambda w: reverse("home"), 2, 200),
    ("accessibility statement", lambda w: reverse("accessibility"), 2, 200),
    ("site map", lambda w: reverse("site_map"), 2, 200),
    ("procedures", lambda w: reverse("booking:procedures"), 5, 200),
    # The pages of a procedure ask once whether the person holds a priority right
    # for it (booking.rules.priority_right_held). The sites step also reads the
    # procedure's allocation modes (one query: sites given out by a waiting list).
    ("sites", lambda w: reverse("booking:sites", args=[w.procedure.slug]), 6, 200),
    ("days", lambda w: reverse("booking:days", args=[w.procedure.slug, w.site.slug]), 7, 200),
    (
        "times",
        lambda w: (
            reverse("booking:times", args=[w.procedure.slug, w.site.slug]) + f"?date={_day(w.slot)}"
        ),
        6,
        200,
    ),
    # 7: the priority right, and a booking block in force (repeated no-shows),
    # told before confirming.
    ("confirm", lambda w: reverse("booking:confirm", args=[w.slot.pk]), 7, 200),
    ("identity", lambda w: reverse("booking:identity"), 4, 200),
    # With the priority rights the person holds.
    ("my appointments", lambda w: reverse("booking:my_appointments"), 5, 200),
    (
        "appointment",
        lambda w: reverse("booking:appointment_detail", args=[w.appointment.reference]),
        3,
        200,
    ),
    (
        "calendar file",
        lambda w: reverse("booking:appointment_ics", args=[w.appointment.reference]),
        3,
        200,
    ),
    (
        "cancel",
        lambda w: reverse("booking:appointment_cancel", args=[w.appointment.reference]),
        3,
        200,
    ),
    (
        "reschedule",
        lambda w: reverse("booking:appointment_reschedule", args=[w.appointment.reference]),
        6,
        200,
    ),
    (
        "reschedule, a day",
        lambda w: (
            reverse("booking:appointment_reschedule", args=[w.appointment.reference])
            + f"?date={_day(w.target)}"
        ),
        7,
        200,
    ),
    (
        "reschedule, confirm",
        lambda w: reverse(
            "booking:appointment_reschedule_confirm", args=[w.appointment.reference, w.target.pk]
        ),
        6,
        200,
    ),
    ("my account", lambda w: reverse("accounts:me"), 8, 200),
    ("my data", lambda w: reverse("accounts:data_export"), 9, 200),
    ("change e-mail", lambda w: reverse("accounts:email_change"), 2, 200),
    ("change phone", lambda w: reverse("accounts:phone_change"), 2, 200),
    ("delete my account", lambda w: reverse("accounts:delete"), 4, 200),
    ("verify", lambda w: reverse("accounts:verify"), 3, 200),
    ("alerts", lambda w: reverse("notifications:alerts"), 6, 200),
    (
        "new alert",
        lambda w: reverse("notifications:alert_subscribe", args=[w.procedure.slug]),
        6,
        200,
    ),
    (
        "stop an alert",
        lambda w: reverse(
            "notifications:alert_unsubscribe", args=[unsubscribe_token(w.subscription.pk)]
        ),
        3,
        200,
    ),
    # The points, then all their opening periods at once.
    ("access points", lambda w: reverse("mediation:points"), 4, 200),
    ("substitution", lambda w: reverse("mediation:substitution"), 3, 200),
]


@pytest.mark.parametrize(
    ("url", "most", "status"),
    [pytest.param(url, most, status, id=name) for name, url, most, status in PAGES],
)
def test_applicant_page_takes_a_bounded_number_of_queries(
    client, world, url, most, status, django_assert_max_num_queries
):
    login(client, world.applicant.user)
    path = url(world)

    with django_assert_max_num_queries(most):
        response = client.get(path)

    assert response.status_code == status, path


# Anonymous pages (no session to load).
ANONYMOUS = [
    ("home", lambda w: reverse("home"), 0),
    ("accessibility statement", lambda w: reverse("accessibility"), 0),
    ("site map", lambda w: reverse("site_map"), 0),
    ("log in", lambda w: reverse("accounts:login"), 0),
    ("register", lambda w: reverse("accounts:register"), 0),
    ("password reset", lambda w: reverse("accounts:password_reset"), 0),
    ("access points", lambda w: reverse("mediation:points"), 2),
    ("substitution", lambda w: reverse("mediation:substitution"), 1),
    (
        "stop an alert",
        lambda w: reverse(
            "notifications:alert_unsubscribe", args=[unsubscribe_token(w.subscription.pk)]
        ),
        1,
    ),
]


PUBLIC = ("home", "accessibility statement", "site map", "access points", "substitution")
STAFF_SESSION = 3  # session, user, OTP device


@pytest.mark.parametrize(
    ("url", "most"), [pytest.param(url, most, id=name) for name, url, most in ANONYMOUS]
)
def test_anonymous_page_takes_a_bounded_number_of_queries(
    client, world, url, most, django_assert_max_num_queries
):
    with django_assert_max_num_queries(most):
        response = client.get(url(world))

    assert response.status_code == 200


@pytest.mark.parametrize("role", ["agent", "mediator"])
@pytest.mark.parametrize(
    ("url", "most"),
    [pytest.param(url, most, id=name) for name, url, most in ANONYMOUS if name in PUBLIC],
)
def test_public_page_seen_by_staff_takes_a_bounded_number_of_queries(
    client, world, role, url, most, django_assert_max_num_queries
):
    """Staff come with an OTP-verified session: its device is one more query."""
    login(client, world.personas.users[role])

    with django_assert_max_num_queries(most + STAFF_SESSION):
        response = client.get(url(world))

    assert response.status_code == 200


# --- Applicant pages that write ---------------------------------------------------------------


def test_booking_through_the_pages_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    login(client, world.applicant.user)

    with django_assert_max_num_queries(14):
        response = client.post(reverse("booking:confirm", args=[world.slot.pk]))

    assert response.status_code == 302
    assert world.applicant.appointments.filter(procedure=world.procedure).exists()


def test_cancelling_through_the_pages_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    login(client, world.applicant.user)
    url = reverse("booking:appointment_cancel", args=[world.appointment.reference])

    # The freed seat's alert is owed in the transaction (one INSERT).
    with django_assert_max_num_queries(12):
        response = client.post(url)

    assert response.status_code == 302
    world.appointment.refresh_from_db()
    assert world.appointment.status == "cancelled"


def test_rescheduling_through_the_pages_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    login(client, world.applicant.user)
    url = reverse(
        "booking:appointment_reschedule_confirm",
        args=[world.appointment.reference, world.target.pk],
    )

    # The freed seat's alert is owed in the transaction (one INSERT).
    with django_assert_max_num_queries(16):
        response = client.post(url)

    assert response.status_code == 302
    world.appointment.refresh_from_db()
    assert world.appointment.slot_id == world.target.pk


def test_changing_the_language_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    login(client, world.applicant.user)

    with django_assert_max_num_queries(6):
        response = client.post(reverse("accounts:language"), {"language": "en"})

    assert response.status_code == 302


# --- /api/v1/ ---------------------------------------------------------------------------------

# (name, path maker, most queries). With a token, 2 of each: the token with its
# account and identity, and recording its use (at most once every few minutes,
# so here, the token being fresh, every time).
API_READS = [
    ("sites", lambda w: "/api/v1/sites/", 3),
    ("procedures", lambda w: "/api/v1/procedures/", 3),
    ("availability", lambda w: f"/api/v1/availability/?procedure={w.procedure.slug}", 4),
    (
        "availability at a site",
        lambda w: f"/api/v1/availability/?procedure={w.procedure.slug}&site={w.site.slug}",
        5,
    ),
    ("appointments", lambda w: "/api/v1/appointments/", 3),
    ("an appointment", lambda w: f"/api/v1/appointments/{w.appointment.reference}/", 3),
    ("schema", lambda w: "/api/v1/schema/", 2),
]


@pytest.mark.parametrize(
    ("path", "most"), [pytest.param(path, most, id=name) for name, path, most in API_READS]
)
def test_api_read_takes_a_bounded_number_of_queries(
    client, world, path, most, django_assert_max_num_queries
):
    with django_assert_max_num_queries(most):
        response = client.get(path(world), HTTP_AUTHORIZATION=f"Token {world.token}")

    assert response.status_code == 200


@pytest.mark.parametrize("role", ["agent", "mediator"])
@pytest.mark.parametrize(
    ("path", "most"),
    [pytest.param(path, most, id=name) for name, path, most in API_READS if name != "schema"],
)
def test_api_read_as_staff_takes_a_bounded_number_of_queries(
    client, world, role, path, most, django_assert_max_num_queries
):
    """Staff see more pools and, for agents, the appointments of their sites."""
    user = world.personas.users[role]
    if role == "agent":
        assert set(user.sites.all()) == {world.site, world.appointment.slot.site}
    url = path(world)
    if "appointments/" in url and url != "/api/v1/appointments/":
        url = "/api/v1/appointments/"  # someone else's appointment would be a 404
    _token, key = api_token_create(user=user)

    with django_assert_max_num_queries(most):
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200


def test_api_booking_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(13):
        response = client.post(
            "/api/v1/appointments/",
            {"slot": world.slot.pk},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {world.token}",
        )

    assert response.status_code == 201


def test_api_cancelling_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    url = f"/api/v1/appointments/{world.appointment.reference}/cancel/"

    # The freed seat's alert is owed in the transaction (one INSERT).
    with django_assert_max_num_queries(13):
        response = client.post(url, HTTP_AUTHORIZATION=f"Token {world.token}")

    assert response.status_code == 200


def test_api_rescheduling_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    url = f"/api/v1/appointments/{world.appointment.reference}/reschedule/"

    # The freed seat's alert is owed in the transaction (one INSERT).
    with django_assert_max_num_queries(17):
        response = client.post(
            url,
            {"slot": world.target.pk},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {world.token}",
        )

    assert response.status_code == 200


def test_api_token_takes_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    user = world.applicant.user

    with django_assert_max_num_queries(8):
        response = client.post(
            "/api/v1/auth/token/",
            {"email": user.email, "password": factories.DEFAULT_PASSWORD},
            content_type="application/json",
        )

    assert response.status_code == 200


def test_api_publication_takes_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    """A week of one-hour slots at three counters: one INSERT for them all (and
    one read of the procedure's allocation mode: the pool of its public counters)."""
    agent = world.personas.users["agent"]
    assert list(agent.sites.all()) == [world.site]
    _token, key = api_token_create(user=agent)
    start = timezone.localdate() + timedelta(days=40)
    body = {
        "site": world.site.slug,
        "procedure": world.procedure.slug,
        "date_from": start.isoformat(),
        "date_to": (start + timedelta(days=6)).isoformat(),
        "weekdays": [0, 1, 2, 3, 4],
        "opening_ranges": [{"start": "09:00", "end": "12:00"}],
        "counters": 3,
        "slot_minutes": 60,
    }

    with django_assert_max_num_queries(15):
        response = client.post(
            "/api/v1/agent/publications/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {key}",
        )

    assert response.status_code == 201, response.content
