"""The accessibility visits of the error pages, reached by what really produces
them (a wrong host, a raising view, a rate limit at zero...)."""

from __future__ import annotations

from django.db import OperationalError
from django.urls import reverse

from tests.helpers.accessibility.visits import _BOOKING, _ZERO_RATE, Visit, _home_raising, _settings

_ERROR = {"path": lambda s: reverse("home")}

ERROR_PAGES: dict[str, list[Visit]] = {
    "404": [Visit("anonymous", path=lambda s: "/no-such-page/", status=404, template="404.html")],
    "403": [
        Visit(
            "agent",
            path=lambda s: reverse("staff:list"),
            status=403,
            template="403.html",
            label="not a supervisor",
        )
    ],
    "staff_only": [
        Visit(
            "agent",
            path=lambda s: reverse("booking:procedures"),
            status=403,
            template="booking/staff_only.html",
            label="staff on the applicants' pages",
        )
    ],
    "400": [
        Visit(
            "anonymous",
            status=400,
            template="400.html",
            label="a host not allowed",
            state=_settings(ALLOWED_HOSTS=["guichet.invalid"]),
            **_ERROR,
        )
    ],
    "client_address_unknown": [
        Visit(
            "anonymous",
            status=400,
            template="core/client_address_unknown.html",
            label="a trusted proxy that says nothing",
            state=_settings(TRUSTED_PROXIES=("127.0.0.0/8", "::1/128")),
            **_ERROR,
        )
    ],
    "500": [
        Visit(
            "anonymous",
            status=500,
            template="500.html",
            label="a bug",
            state=_home_raising(RuntimeError("a bug")),
            **_ERROR,
        )
    ],
    "unavailable": [
        Visit(
            "anonymous",
            status=503,
            template="core/unavailable.html",
            label="the database away",
            state=_home_raising(OperationalError("the database is away")),
            **_ERROR,
        )
    ],
    "attempts_verify_unknown": [
        Visit(
            "anonymous",
            path=lambda s: reverse("attempts:verify", kwargs={"code": "not-a-code"}),
            status=404,
            template="attempts/verify_unknown.html",
            label="no such record of attempts",
        )
    ],
    "429": [
        Visit(
            "applicant",
            path=lambda s: reverse("booking:days", kwargs=_BOOKING),
            status=429,
            template="core/429.html",
            label="too many requests",
            state=_settings(RATELIMITS=_ZERO_RATE),
        )
    ],
    "locked_out": [
        Visit(
            "anonymous",
            path=lambda s: reverse("accounts:login"),
            status=429,
            template="accounts/locked_out.html",
            label="a login locked out",
            state=_settings(AXES_FAILURE_LIMIT=1),
            errors={"username": "nobody@example.test", "password": "wrong"},
        )
    ],
}
