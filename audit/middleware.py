"""Carries each request's client address to the audit rows the services write."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import client_ip_set
from core.client import client_address


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Computed (or refused) once by core.client.ClientAddressMiddleware, earlier.
        with client_ip_set(client_address(request), getattr(request, "user", None)):
            return self.get_response(request)
