"""Two-factor authentication before anything else, for whoever needs it.

A logged-in session that has not passed the second factor (staff always; an
applicant who turned it on) reaches only the enrolment and verification
pages and logout. Any other page redirects there: to enrolment when the
account has no confirmed device yet, else to verification. The API answers
such a session 403 ``otp_required``; token clients are not concerned (their
token was only issued after an OTP check).

Installed after ``django_otp.middleware.OTPMiddleware``, which tells whether
the session is verified.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.errors import OtpRequired
from accounts.otp import has_confirmed_device, session_needs_otp
from core.api import DATABASE_UNAVAILABLE
from core.middleware import DatabaseUnavailableMiddleware


class OtpRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def open_paths(self) -> tuple[str, ...]:
        """Exact paths an unverified session may reach."""
        return (
            reverse("accounts:otp_setup"),
            reverse("accounts:otp_verify"),
            reverse("accounts:logout"),
            reverse("set_language"),
            # Checks the OTP itself, and authenticates nobody by session.
            reverse("api:auth-token"),
        )

    @cached_property
    def open_prefixes(self) -> tuple[str, ...]:
        return (settings.STATIC_URL,)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path in self.open_paths or path.startswith(self.open_prefixes):
            return self.get_response(request)
        try:
            refusal = self.refusal(request)
        except DATABASE_UNAVAILABLE as exc:
            # The session or the user could not be loaded: as the views would.
            return DatabaseUnavailableMiddleware.unavailable(request, exc)
        return refusal or self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        is_api = request.path_info.startswith("/api/")
        keyword = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0]
        if is_api and keyword.lower() == "token":
            return None  # a token client: DRF authenticates it, not the session
        if not session_needs_otp(request):
            return None
        if is_api:
            error = OtpRequired()
            return JsonResponse({"code": error.code, "detail": error.detail}, status=error.status)
        target = "accounts:otp_verify"
        if not has_confirmed_device(request.user):
            target = "accounts:otp_setup"
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
