"""Login lock-outs (django-axes): how a login is named, what a locked-out person
reads, and how a lock is lifted.

The lock is per e-mail address *and* client address (see the AXES_* settings
for why). A lock is lifted when the cool-off has passed, when the person
completes a password reset by e-mail (``PasswordResetConfirmView`` in
``accounts.views``), or when a supervisor unlocks the address
(``accounts.services.account_unlock``, audited). Superusers also see and
delete the raw attempts in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _


def normalize_login(value: Any) -> str | None:
    """The form of an e-mail address that attempts are counted under: the same
    person typing ``Name@Example.org`` or ``name@example.org`` is one login."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return text[:255] or None


def username_of(request: HttpRequest | None, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the login forms send ``username``, the token
    endpoint ``email``; Axes itself passes ``{"email": ...}`` after a success."""
    if credentials:
        for field in ("username", "email"):
            if credentials.get(field):
                return normalize_login(credentials[field])
    if request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        for field in ("username", "email"):
            if data.get(field):
                return normalize_login(data[field])
    return None


def retry_after_seconds(request: HttpRequest | None = None) -> int:
    """A lock-out answer always follows a counted failure (a failure while locked
    counts and starts the wait again), so the wait is the whole cool-off."""
    cool_off = get_cool_off(request) or timedelta(0)
    return max(1, int(cool_off.total_seconds()))


def lockout_message(minutes: int) -> str:
    return _(
        "Too many failed logins with this e-mail address from your connection: logging in "
        "is blocked for %(minutes)s minute(s). To unlock it now, reset your password by "
        "e-mail."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After``; JSON ``locked_out``
    under ``/api/``, else a page that says until when and how to unlock."""
    seconds = retry_after_seconds(request)
    minutes = -(-seconds // 60)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "locked_out", "detail": lockout_message(minutes)},
            status=settings.AXES_HTTP_RESPONSE_CODE,
        )
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {
                "minutes": minutes,
                "retry_at": timezone.localtime() + timedelta(seconds=seconds),
                "reset_url": reverse("accounts:password_reset"),
            },
            status=settings.AXES_HTTP_RESPONSE_CODE,
        )
    response["Retry-After"] = str(seconds)
    return response


def lockout_clear(*, email: str) -> int:
    """Forget the failed logins of ``email`` from every address; returns how many
    attempt records went. Not audited by itself: see ``account_unlock``."""
    login = normalize_login(email)
    if not login:
        return 0
    return reset(username=login)


@dataclass(frozen=True)
class LockedLogin:
    email: str
    failures: int
    last_attempt: datetime
    addresses: int


def locked_logins(*, now: datetime | None = None) -> list[LockedLogin]:
    """E-mail addresses locked out from at least one address right now."""
    now = now or timezone.now()
    threshold = now - (get_cool_off() or timedelta(0))
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=threshold, username__isnull=False)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last")
    )
    by_login: dict[str, LockedLogin] = {}
    for row in rows:
        seen = by_login.get(row["username"])
        by_login[row["username"]] = LockedLogin(
            email=row["username"],
            failures=row["failures"] + (seen.failures if seen else 0),
            last_attempt=max(row["last"], seen.last_attempt) if seen else row["last"],
            addresses=(seen.addresses if seen else 0) + 1,
        )
    return list(by_login.values())
