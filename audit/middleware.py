"""Carries each request's client address to the audit rows the services write."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import client_ip_set


def request_ip(request: HttpRequest) -> str | None:
    """The client's address as the web server saw it (REMOTE_ADDR).

    Behind a reverse proxy, the proxy must set REMOTE_ADDR (gunicorn's
    ``--forwarded-allow-ips``); a client-supplied X-Forwarded-For is never trusted.
    """
    # Asked by the audit context and the rate limits of every request: parsed once.
    django_request = getattr(request, "_request", request)  # DRF's Request wraps it
    known = django_request.__dict__.get("_guichet_client_ip", _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        ip = str(ipaddress.ip_address(raw))
    except ValueError:
        ip = None
    django_request._guichet_client_ip = ip
    return ip


_UNKNOWN = object()


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with client_ip_set(request_ip(request), getattr(request, "user", None)):
            return self.get_response(request)
