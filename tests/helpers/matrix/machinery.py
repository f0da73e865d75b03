"""The permission matrix's machinery: the URL patterns, the admin's rule, the
personas' clients and asking a case.

``url_patterns`` walks the URL resolver (every pattern's matrix key: its
namespaced name, or its route); ``is_admin`` tells the admin's patterns, which
have one rule (``admin_rule``, with ``admin_kwargs`` to resolve them) and
samples of what the administrator gets (``ADMIN_SAMPLES``); ``IGNORED`` are
the patterns that are no page of the application. ``Personas`` holds one
logged-in client per persona; ``ask`` asks a case as one of them, in a
savepoint that is rolled back, and says what it got (``outcome_of``) and
whether a refused request changed the domain state (``snapshot``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from booking.models import Applicant, Appointment, Publication, Slot
from mediation.models import Consent
from notifications.models import AlertSubscription
from substitution.models import SubstitutionRequest
from tests.auth import login
from tests.helpers.matrix.expectations import (
    ADMIN_LOGIN,
    ANY_REDIRECT,
    LOGIN,
    OTP,
    PUBLIC,
    REDIRECT,
    REFUSALS,
    Case,
    outcomes,
)
from tests.personas import ADMINISTRATOR, PERSONAS, World

# --- The admin: one rule for every pattern, and samples for the administrator -----------


def admin_rule(key: str) -> dict[str, Any]:
    """What the personas (none of whom has ``is_staff``) get from an admin URL."""
    if key == "admin:login":
        return PUBLIC  # the form; a logged-in persona is told they lack access
    if key == "admin:logout":
        return ANY_REDIRECT  # logging out wants a POST: a GET is sent back to the admin
    return outcomes(ADMIN_LOGIN)


def admin_kwargs(route: str) -> dict:
    """Values for an admin pattern's arguments: enough to resolve; the rule refuses first."""
    names = re.findall(r"\(\?P<(\w+)>", route) + re.findall(r"<(?:\w+:)?(\w+)>", route)
    values = {"app_label": "booking", "url": "no-such-page/"}
    return {name: values.get(name, 1) for name in names}


ADMIN_SAMPLES: list[tuple[str, Callable[[World], dict], Any]] = [
    ("admin:index", lambda s: {}, 200),
    ("admin:app_list", lambda s: {"app_label": "booking"}, 200),
    ("admin:booking_appointment_changelist", lambda s: {}, 200),
    ("admin:booking_appointment_change", lambda s: {"object_id": s.appointments["own"].pk}, 200),
    ("admin:booking_applicant_change", lambda s: {"object_id": s.people["walk_in"].pk}, 200),
    ("admin:booking_slot_changelist", lambda s: {}, 200),
    ("admin:accounts_user_changelist", lambda s: {}, 200),
    ("admin:booking_appointment_add", lambda s: {}, 403),  # read-only: services write
]


# --- The machinery ------------------------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield route, route


def url_patterns() -> list[tuple[str, str]]:
    """(matrix key, route) of every URL pattern: its namespaced name, or its route."""
    return list(_walk(get_resolver()))


def is_admin(key: str) -> bool:
    return key == "admin" or key.startswith("admin:") or key.startswith("admin/")


# Served only with DEBUG (static files): not a page of the application.
IGNORED = {"^static/(?P<path>.*)$"}


def outcome_of(response) -> Any:
    if response.status_code in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path == resolve_url(settings.LOGIN_URL):
            return LOGIN
        if path == reverse("admin:login"):
            return ADMIN_LOGIN
        if path.startswith("/accounts/otp/"):
            return OTP
        return REDIRECT
    return response.status_code


def snapshot() -> tuple:
    """The domain state a refused request must leave as it was."""
    return (
        list(Appointment.objects.order_by("pk").values_list("pk", "status", "slot_id")),
        list(Slot.objects.order_by("pk").values_list("pk", "booked", "capacity")),
        list(
            Applicant.objects.order_by("pk").values_list(
                "pk", "surname", "document_number", "user_id", "phone", "email", "access_point_id"
            )
        ),
        list(
            User.objects.order_by("pk").values_list(
                "pk",
                "email",
                "role",
                "is_active",
                "is_staff",
                "is_superuser",
                "password",
                "phone",
                "language",
                "access_point_id",
            )
        ),
        list(ApiToken.objects.order_by("pk").values_list("pk", "expires_at")),
        list(AlertSubscription.objects.order_by("pk").values_list("pk", "is_active")),
        list(Publication.objects.order_by("pk").values_list("pk")),
        list(TOTPDevice.objects.order_by("pk").values_list("pk", "confirmed")),
        list(
            SubstitutionRequest.objects.order_by("pk").values_list(
                "pk", "state", "outcome", "handled_by_id", "appointment_id"
            )
        ),
        list(Consent.objects.order_by("pk").values_list("pk", "withdrawn_at")),
    )


class Personas:
    """One logged-in client per persona; each request leaves its session as it found it."""

    def __init__(self, scenario: World, *, tokens: bool = False) -> None:
        """Session clients; with ``tokens``, API clients sending an API token instead."""
        self.clients: dict[str, Client] = {}
        self.sessions: dict[str, str] = {}
        for persona in (*PERSONAS, ADMINISTRATOR):
            client = Client()
            if persona != "anonymous" and tokens:
                _token, key = api_token_create(user=scenario.users[persona])
                client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
            elif persona != "anonymous":
                login(client, scenario.users[persona])
                self.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
            self.clients[persona] = client

    def request(self, persona: str, method: str, path: str, data: Any, query: Any):
        client = self.clients[persona]
        client.cookies.clear()
        if persona in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        cache.clear()  # throttles and rate limits count nothing across cases
        if method == "GET":
            return client.get(path, query or {})
        if method == "DELETE":
            return client.delete(path)
        if method == "PATCH":
            return client.patch(path, data or {}, content_type="application/json")
        if path.startswith("/api/"):
            return client.post(path, data or {}, content_type="application/json")
        return client.post(path, data or {})


def ask(personas: Personas, persona: str, case: Case, path: str, scenario: World):
    data = case.data(scenario) if case.data else None
    query = case.query(scenario) if case.query else None
    expected = case.expect.get(persona)
    refused = case.method != "GET" and (
        expected in REFUSALS or (isinstance(expected, int) and expected >= 400)
    )
    with transaction.atomic():
        before = snapshot() if refused else None
        response = personas.request(persona, case.method, path, data, query)
        changed = before is not None and snapshot() != before
        transaction.set_rollback(True)
    return outcome_of(response), changed
