"""Suspensions through the API (``backoffice/api/suspensions.py``): the list of
suspended accounts, suspending, lifting; supervisors only, the services' rules
and rate limits (one budget with the page), errors as JSON with a code, a
bounded number of queries."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from allocation.models import EntryStatus, WaitlistEntry
from allocation.services import waitlist_join
from audit.models import AuditAction, AuditEvent
from backoffice.abuse.services import account_suspend
from booking.models import AllocationMode, AllocationPolicy, AppointmentStatus
from booking.services import appointment_book
from tests import factories
from tests.allocation.conftest import person
from tests.auth import login
from tests.helpers.api_clients import token_client
from tests.helpers.audit import web  # noqa: F401 - pages in English, from a known address

pytestmark = pytest.mark.django_db

LIST = "/api/v1/agent/suspensions/"
REASON = "Rendez-vous revendus : trois identités pour un même compte."


def _suspend_url(user) -> str:
    return f"/api/v1/agent/accounts/{user.pk}/suspend/"


def _lift_url(user) -> str:
    return f"/api/v1/agent/accounts/{user.pk}/lift/"


@pytest.fixture(autouse=True)
def _clear_cache():
    """The rate limits' counters start from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def supervisor_api(supervisor):
    return token_client(supervisor)


def test_the_urls_are_named():
    assert reverse("api:agent-suspensions") == LIST
    assert reverse("api:agent-account-suspend", args=[7]) == "/api/v1/agent/accounts/7/suspend/"
    assert reverse("api:agent-account-lift", args=[7]) == "/api/v1/agent/accounts/7/lift/"


def test_a_supervisor_suspends_an_account_and_its_appointments_go(
    supervisor_api, supervisor, site, procedure
):
    broker = person()
    appointment = appointment_book(
        actor=broker.user,
        applicant=broker,
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )
    listed = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=listed, mode=AllocationMode.QUEUE)
    entry = waitlist_join(actor=broker.user, applicant=broker, procedure=listed, site_ids=[site.pk])

    response = supervisor_api.post(_suspend_url(broker.user), {"reason": REASON}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_SUSPENDED)
    assert body == {
        "account": {
            "id": broker.user.pk,
            "email": broker.user.email,
            "role": Role.APPLICANT,
            "suspended": True,
            "suspended_at": body["account"]["suspended_at"],
            "suspended_by": supervisor.email,
            "reason": REASON,
            "suspension": event.pk,
        },
        "cancelled": [appointment.reference],
        "entries_left": [entry.pk],
    }
    assert body["account"]["suspended_at"]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert WaitlistEntry.objects.get(pk=entry.pk).status == EntryStatus.LEFT
    assert event.actor_id == supervisor.pk and event.details["reason"] == REASON


def test_the_list_shows_the_suspended_accounts_most_recent_first(supervisor_api, supervisor):
    first, second, untouched = person(), person(), person()
    account_suspend(actor=supervisor, user=first.user, reason="Première")
    done = account_suspend(actor=supervisor, user=second.user, reason="Seconde")

    response = supervisor_api.get(LIST)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [second.user.pk, first.user.pk]
    assert untouched.user.pk not in {row["id"] for row in rows}
    assert rows[0]["reason"] == "Seconde"
    assert rows[0]["suspension"] == done.event_id
    assert rows[0]["suspended_by"] == supervisor.email


def test_lifting_through_the_api_opens_the_account_again(supervisor_api, supervisor):
    broker = person()
    done = account_suspend(actor=supervisor, user=broker.user, reason=REASON)

    response = supervisor_api.post(_lift_url(broker.user))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["suspended"] is False
    assert (body["suspended_at"], body["suspended_by"], body["reason"]) == (None, None, "")
    assert body["suspension"] == done.event_id  # the one it ended, for the record
    broker.user.refresh_from_db()
    assert broker.user.is_active and broker.user.suspended_at is None
    assert supervisor_api.get(LIST).json()["results"] == []


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.MEDIATOR, Role.AGENT])
def test_anyone_but_a_supervisor_gets_403_and_nothing_changes(role, site):
    if role == Role.APPLICANT:
        caller = person().user
    elif role == Role.AGENT:
        caller = factories.UserFactory(role=role, sites=[site])
    else:
        caller = factories.UserFactory(role=role)
    api = token_client(caller)
    broker = person()

    for response in (
        api.get(LIST),
        api.post(_suspend_url(broker.user), {"reason": REASON}, format="json"),
        api.post(_lift_url(broker.user)),
        # An account that does not exist: 403 too, before anything is read.
        api.post("/api/v1/agent/accounts/999999/suspend/", {"reason": REASON}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "supervisors_only"
    broker.user.refresh_from_db()
    assert broker.user.suspended_at is None


def test_anonymous_gets_401():
    broker = person()
    api = APIClient()
    assert api.get(LIST).status_code == 401
    assert api.post(_suspend_url(broker.user), {"reason": REASON}).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agent/accounts/999999/suspend/",
        "/api/v1/agent/accounts/999999/lift/",
        "/api/v1/agent/accounts/99999999999999999999/suspend/",
    ],
)
def test_an_account_that_does_not_exist_is_404(supervisor_api, path):
    response = supervisor_api.post(path, {"reason": REASON}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "account_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid"),
        ({"reason": ""}, "suspension_reason_invalid"),
        ({"reason": "   "}, "suspension_reason_invalid"),
        ({"reason": "x" * 501}, "suspension_reason_invalid"),
        ({"reason": ["a list"]}, "invalid"),
    ],
)
def test_a_bad_reason_is_a_400_and_changes_nothing(supervisor_api, body, code):
    broker = person()

    response = supervisor_api.post(_suspend_url(broker.user), body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    broker.user.refresh_from_db()
    assert broker.user.suspended_at is None


def test_malformed_json_is_a_400(supervisor_api):
    broker = person()

    response = supervisor_api.post(
        _suspend_url(broker.user), "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("target", ["self", "supervisor", "administrator"])
def test_supervisors_administrators_and_oneself_are_not_suspended(
    supervisor_api, supervisor, target
):
    account = {
        "self": supervisor,
        "supervisor": factories.UserFactory(role=Role.SUPERVISOR),
        "administrator": factories.UserFactory(is_superuser=True, is_staff=True),
    }[target]

    response = supervisor_api.post(_suspend_url(account), {"reason": REASON}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "account_not_suspendable"
    assert supervisor_api.post(_lift_url(account)).json()["code"] == "account_not_suspendable"


def test_twice_is_a_409_and_lifting_an_unsuspended_account_too(supervisor_api):
    broker = person()
    assert supervisor_api.post(_lift_url(broker.user)).json()["code"] == "account_not_suspended"
    supervisor_api.post(_suspend_url(broker.user), {"reason": REASON}, format="json")

    response = supervisor_api.post(_suspend_url(broker.user), {"reason": REASON}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "account_already_suspended"
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_SUSPENDED).count() == 1


def test_the_suspended_account_cannot_use_the_api_any_more(supervisor_api):
    broker = person()
    own = token_client(broker.user)
    assert own.get("/api/v1/appointments/").status_code == 200

    supervisor_api.post(_suspend_url(broker.user), {"reason": REASON}, format="json")

    assert own.get("/api/v1/appointments/").status_code == 401


def test_rate_limited_per_account(supervisor_api, settings):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "abuse_suspensions": {"account": (2, 3600), "ip": (100, 3600)},
    }
    first, second = person(), person()
    assert (
        supervisor_api.post(_suspend_url(first.user), {"reason": REASON}, format="json").status_code
        == 200
    )
    assert supervisor_api.post(_lift_url(first.user)).status_code == 200

    response = supervisor_api.post(_suspend_url(second.user), {"reason": REASON}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0
    second.user.refresh_from_db()
    assert second.user.suspended_at is None


def test_rate_limited_per_client_address_across_supervisors(settings):
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "abuse_suspensions": {"account": (100, 3600), "ip": (1, 3600)},
    }
    first, second = person(), person()
    one = token_client(factories.UserFactory(role=Role.SUPERVISOR))
    other = token_client(factories.UserFactory(role=Role.SUPERVISOR))
    assert one.post(_suspend_url(first.user), {"reason": REASON}, format="json").status_code == 200

    response = other.post(_suspend_url(second.user), {"reason": REASON}, format="json")

    assert response.status_code == 429


def test_the_page_and_the_api_spend_one_budget(web, supervisor, settings):  # noqa: F811
    settings.RATELIMITS = {
        **settings.RATELIMITS,
        "abuse_suspensions": {"account": (1, 3600), "ip": (100, 3600)},
    }
    first, second = person(), person()
    login(web, supervisor)
    assert (
        web.post(reverse("agent:abuse_suspend", args=[first.user.pk]), {"reason": REASON})
    ).status_code == 302

    response = token_client(supervisor).post(
        _suspend_url(second.user), {"reason": REASON}, format="json"
    )

    assert response.status_code == 429
    second.user.refresh_from_db()
    assert second.user.suspended_at is None


def test_the_suspension_routes_take_a_bounded_number_of_queries(
    supervisor_api, supervisor, site, procedure
):
    """The list reads as many queries with five times the rows; suspending an
    account with an appointment and lifting stay under a bound."""

    def listed() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert supervisor_api.get(LIST).status_code == 200
        return len(queries)

    account_suspend(actor=supervisor, user=person().user, reason=REASON)
    few = listed()
    for _ in range(4):
        account_suspend(actor=supervisor, user=person().user, reason=REASON)
    assert listed() == few
    # The token with its account; the page of rows (who suspended them and the
    # suspension's audit row read with them).
    assert few <= 2

    broker = person()
    appointment_book(
        actor=broker.user,
        applicant=broker,
        slot_id=factories.SlotFactory(site=site, procedure=procedure).pk,
    )
    with CaptureQueriesContext(connection) as queries:
        response = supervisor_api.post(_suspend_url(broker.user), {"reason": REASON}, format="json")
    assert response.status_code == 200
    # The token, the account; the service's own (the page's POST makes as many,
    # ``tests/backoffice/test_abuse_report.py``): the lock, the appointment
    # cancelled through the booking service, the messages.
    assert len(queries) <= 23, len(queries)
    with CaptureQueriesContext(connection) as queries:
        assert supervisor_api.post(_lift_url(broker.user)).status_code == 200
    assert len(queries) <= 8, len(queries)
