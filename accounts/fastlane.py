"""The API's token clients pass by the middleware that only pages need.

A request to ``/api/`` carrying ``Authorization: Token ...`` is authenticated
by DRF from that header alone (``booking.api.authentication``; a wrong token is a
401, never a fall-back to the session). It has no use for the session, Django's
lazy session user and django-otp's wrapper of it, the second-factor gate (a
staff token is only issued after the second factor) or flash messages.
Measured on a refused booking, the page-only middleware were 7 % of the
request's CPU, in the storms where every refusal counts. The CSRF and
``X-Frame-Options`` middleware stay on every request (cheap for a token
request: DRF's views are CSRF-exempt; the deployment checks look for them).

``pages_only(Middleware)`` is a subclass of the middleware that token API
requests pass by (and its hooks); every other request (pages, the admin, the
API by session, the token endpoint, which takes a password) goes through it as
before. What every request keeps: the security headers, CSP, static files,
CSRF and ``X-Frame-Options``, the language, the audit context, the 429 and 503
answers, axes. ``config/settings.py`` names these classes in ``MIDDLEWARE``.

It lives in ``accounts``, beside the token authentication it serves and the
second-factor gate it wraps (``core`` imports nothing above it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Message
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.middleware import OTPMiddleware as _OTP

from accounts.idle import SlidingSessionMiddleware as _SlidingSession
from accounts.middleware import OtpRequiredMiddleware as _OtpRequired


@cache
def _token_endpoint() -> str:
    return reverse("api:auth-token")


def is_token_api(request: HttpRequest) -> bool:
    """An API request that a token authenticates (DRF's keyword is case-insensitive)."""
    path = request.path_info
    if not path.startswith("/api/") or path == _token_endpoint():
        return False
    return request.META.get("HTTP_AUTHORIZATION", "")[:6].lower() == "token "


def pages_only(middleware: type) -> type:
    """A subclass of ``middleware`` that token API requests pass by, hooks
    included. A subclass, so that the checks looking for the middleware (the
    admin's) still find it."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_token_api(request):
            return self.get_response(request)
        return middleware.__call__(self, request)

    namespace: dict = {"__call__": __call__, "__doc__": middleware.__doc__}
    # Django registers the hooks a middleware has: override only those.
    for name in ("process_view", "process_exception", "process_template_response"):
        if hasattr(middleware, name):
            namespace[name] = _hook(middleware, name)
    return type(middleware.__name__, (middleware,), namespace)


def _hook(middleware: type, name: str) -> Callable:
    def hook(self, request: HttpRequest, *args):
        if is_token_api(request):
            # No view change, no exception handled; a template response as it is.
            return args[0] if name == "process_template_response" else None
        return getattr(middleware, name)(self, request, *args)

    hook.__name__ = name
    return hook


SessionMiddleware = pages_only(_Session)
AuthenticationMiddleware = pages_only(_Authentication)
OTPMiddleware = pages_only(_OTP)
OtpRequiredMiddleware = pages_only(_OtpRequired)
MessageMiddleware = pages_only(_Message)
SlidingSessionMiddleware = pages_only(_SlidingSession)
